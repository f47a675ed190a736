import { Inject, Injectable } from '@nestjs/common';
import {
  CodecError,
  decodeBinaryField,
  type EmbeddedFormat,
  encodeJsonField,
  isSchemaFormat,
  SchemaSerde,
  type SchemaSpec,
} from '@kafka-gateway/codec';
import {
  GatewayError,
  type RecordError,
  toGatewayError,
  toRecordError,
} from '@kafka-gateway/server-kit';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';

import { KafkaService, type OutgoingRecord } from '../kafka/kafka.service';
import { parseProduceRequest, type ProduceRequest } from './produce-request.parser';
import { ProduceMetrics } from './produce-metrics';

export interface OffsetEntry {
  partition: number | null;
  offset: number | null;
  error_code: number | null;
  error: string | null;
}

export interface ProduceResponse {
  offsets: OffsetEntry[];
  key_schema_id: number | null;
  value_schema_id: number | null;
}

export interface ProduceResult {
  /** 200, or 401/403 when a record failed authentication/authorization (Confluent's promotion). */
  readonly status: number;
  readonly body: ProduceResponse;
}

type FieldEncoder = (value: unknown, field: 'key' | 'value') => Buffer | null;

interface RequestEncoders {
  readonly key: FieldEncoder;
  readonly value: FieldEncoder;
  readonly keySchemaId: number | null;
  readonly valueSchemaId: number | null;
}

const EMBEDDED_ENCODERS: Readonly<Record<'binary' | 'json', RequestEncoders>> = {
  binary: {
    key: decodeBinaryField,
    value: decodeBinaryField,
    keySchemaId: null,
    valueSchemaId: null,
  },
  json: { key: encodeJsonField, value: encodeJsonField, keySchemaId: null, valueSchemaId: null },
};

const ALWAYS_NULL: FieldEncoder = () => null;

/** v2 produce: validate, serialize, choose partitions, send with acks=all, report per record. */
@Injectable()
export class ProduceService {
  constructor(
    private readonly kafka: KafkaService,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
    private readonly metrics: ProduceMetrics,
    private readonly schemas: SchemaSerde,
  ) {}

  /**
   * The per-request serializers. Schema formats resolve their writer schemas (registry I/O on a
   * cache miss only) once per request, per Confluent's rules: a schema or schema id is needed for
   * a role as soon as one record has a non-null key (value); a null needs none.
   */
  private async encoders(
    topic: string,
    format: EmbeddedFormat,
    request: ProduceRequest,
  ): Promise<RequestEncoders> {
    if (!isSchemaFormat(format)) return EMBEDDED_ENCODERS[format];
    // Every check that needs no I/O first: a refused request must not register anything.
    const needed = (role: 'key' | 'value', spec: SchemaSpec): boolean => {
      const given = spec.schema !== undefined || spec.schemaId !== undefined;
      if (given) return true;
      if (request.records.every((r) => r[role] === undefined || r[role] === null)) return false;
      throw new CodecError(
        role === 'key' ? 'key_schema_missing' : 'value_schema_missing',
        `Request includes ${role}s but does not include ${role}_schema or ${role}_schema_id.`,
      );
    };
    const keySpec = { schema: request.keySchema, schemaId: request.keySchemaId };
    const valueSpec = { schema: request.valueSchema, schemaId: request.valueSchemaId };
    const needKey = needed('key', keySpec);
    const needValue = needed('value', valueSpec);
    if (needKey && keySpec.schema !== undefined) this.schemas.parseRaw(format, keySpec.schema);
    if (needValue && valueSpec.schema !== undefined)
      this.schemas.parseRaw(format, valueSpec.schema);
    const [key, value] = await Promise.all([
      needKey ? this.schemas.writer(topic, 'key', format, keySpec) : undefined,
      needValue ? this.schemas.writer(topic, 'value', format, valueSpec) : undefined,
    ]);
    return {
      key: key === undefined ? ALWAYS_NULL : (v) => key.serialize(v),
      value: value === undefined ? ALWAYS_NULL : (v) => value.serialize(v),
      keySchemaId: key?.schemaId ?? null,
      valueSchemaId: value?.schemaId ?? null,
    };
  }

  async produce(
    topic: string,
    pathPartition: number | undefined,
    format: EmbeddedFormat,
    body: unknown,
  ): Promise<ProduceResult> {
    const started = process.hrtime.bigint();
    const request = parseProduceRequest(body, this.config.produce.maxRecordsPerRequest);
    const partitions = await this.kafka.cachedPartitions(topic);
    if (partitions === undefined)
      throw new GatewayError('topic_not_found', `Topic ${topic} not found.`);
    const count = partitions.length;
    if (pathPartition !== undefined && pathPartition >= count) {
      throw new GatewayError('partition_not_found', 'Partition not found.');
    }

    // Topic first, so an unknown topic never registers schemas under its subjects. Then every
    // record is serialized before anything is sent: a bad record fails the whole request (400),
    // as in Confluent, and nothing of it reaches Kafka.
    const encode = await this.encoders(topic, format, request);
    const encoded = request.records.map((r) => ({
      key: encode.key(r.key, 'key'),
      value: encode.value(r.value, 'value'),
      partition: pathPartition ?? r.partition ?? undefined,
    }));

    const offsets: OffsetEntry[] = new Array<OffsetEntry>(encoded.length);
    const outgoing: OutgoingRecord[] = [];
    const slots: number[] = [];
    for (let i = 0; i < encoded.length; i++) {
      const r = encoded[i]!;
      const partition = r.partition ?? this.kafka.choosePartition(topic, partitions, r.key);
      if (partition >= count) {
        offsets[i] = failed({ error_code: 40402, error: `Partition ${partition} not found.` });
        continue;
      }
      outgoing.push({ partition, key: r.key, value: r.value });
      slots.push(i);
    }

    let producedRecords = 0;
    let producedBytes = 0;
    if (outgoing.length > 0) {
      // Unreachable Kafka fails the whole request with a retriable 503 before anything is queued.
      if (!this.kafka.isConnected()) {
        throw new GatewayError('broker_not_available', 'Kafka is not available', {
          retriable: true,
          retryAfterSeconds: 1,
        });
      }
      const outcomes = await this.kafka.produce(topic, outgoing);
      let unknownTopic = false;
      for (let j = 0; j < outcomes.length; j++) {
        const o = outcomes[j]!;
        if ('error' in o) {
          unknownTopic ||= toGatewayError(o.error).code === 'unknown_topic_or_partition';
          offsets[slots[j]!] = failed(toRecordError(o.error));
        } else {
          offsets[slots[j]!] = {
            partition: o.partition,
            offset: o.offset,
            error_code: null,
            error: null,
          };
          producedRecords++;
          producedBytes += (outgoing[j]!.key?.length ?? 0) + (outgoing[j]!.value?.length ?? 0);
        }
      }
      if (unknownTopic) this.kafka.invalidateMetadata();
    }
    this.metrics.produced(
      topic,
      format,
      producedRecords,
      producedBytes,
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    for (const o of offsets) if (o.error_code !== null) this.metrics.recordFailed(o.error_code);

    let status = 200;
    if (offsets.some((o) => o.error_code === 40101)) status = 401;
    else if (offsets.some((o) => o.error_code === 40301)) status = 403;
    return {
      status,
      body: {
        offsets,
        key_schema_id: encode.keySchemaId,
        value_schema_id: encode.valueSchemaId,
      },
    };
  }
}

function failed(e: RecordError): OffsetEntry {
  return { partition: null, offset: null, error_code: e.error_code, error: e.error };
}
