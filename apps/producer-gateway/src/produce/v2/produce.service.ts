import { Inject, Injectable } from '@nestjs/common';
import {
  decodeBinaryField,
  type EmbeddedFormat,
  encodeJsonField,
  isSchemaFormat,
  SchemaSerde,
} from '@kafka-gateway/codec';
import {
  catalogueEntry,
  Errors,
  type Principal,
  type RecordError,
  type RecordMetadata,
} from '@kafka-gateway/server-kit';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../../config/producer.config';
import { KafkaProducerService, type OutgoingRecord } from '../../kafka/kafka-producer.service';
import { TopicMetadataService } from '../../kafka/topic-metadata.service';
import { ProduceOutcomes } from '../produce-outcomes';
import { parseProduceRequest, type ProduceRequest } from './produce-request.parser';

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

const PARTITION_NOT_FOUND = catalogueEntry('partition_not_found').errorCode;

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
    private readonly metadata: TopicMetadataService,
    private readonly producer: KafkaProducerService,
    private readonly outcomes: ProduceOutcomes,
    private readonly schemas: SchemaSerde,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
  ) {}

  /**
   * The per-request serializers. Schema formats resolve their writer schemas (registry I/O on a
   * cache miss only) once per request, with the codec's rules for when a role needs a schema.
   */
  private async encoders(
    topic: string,
    format: EmbeddedFormat,
    request: ProduceRequest,
  ): Promise<RequestEncoders> {
    if (!isSchemaFormat(format)) return EMBEDDED_ENCODERS[format];
    const hasData = (role: 'key' | 'value'): boolean =>
      request.records.some((r) => r[role] !== undefined && r[role] !== null);
    const { key, value } = await this.schemas.requestWriters(
      topic,
      format,
      { schema: request.keySchema, schemaId: request.keySchemaId, hasData: hasData('key') },
      { schema: request.valueSchema, schemaId: request.valueSchemaId, hasData: hasData('value') },
    );
    return {
      key: key === undefined ? ALWAYS_NULL : (v) => key.serialize(v),
      value: value === undefined ? ALWAYS_NULL : (v) => value.serialize(v),
      keySchemaId: key?.schemaId ?? null,
      valueSchemaId: value?.schemaId ?? null,
    };
  }

  /** Every record refused with 40301: the gateway's principal may not use the topic. */
  private denied(topic: string, records: number): ProduceResult {
    const error = {
      error_code: AUTHORIZATION_FAILED,
      error: `Not authorized to access topics: [${topic}]`,
    };
    const offsets = Array.from({ length: records }, () => failed(error));
    this.outcomes.countFailures(offsets.map(() => AUTHORIZATION_FAILED));
    return {
      status: ProduceOutcomes.status(offsets.map((o) => o.error_code)),
      body: { offsets, key_schema_id: null, value_schema_id: null },
    };
  }

  async produce(
    topic: string,
    pathPartition: number | undefined,
    format: EmbeddedFormat,
    body: unknown,
    principal: Principal,
    /** The Kafka-Gateway-Record-Metadata opt-in: records may carry headers and a timestamp. */
    metadata?: RecordMetadata,
  ): Promise<ProduceResult> {
    const started = process.hrtime.bigint();
    // principal propagation: refused (401) before anything is parsed or registered
    const caller = this.producer.callerOf(principal);
    const request = parseProduceRequest(body, this.config.produce.maxRecordsPerRequest, metadata);
    const partitions = await this.metadata.cachedPartitions(topic, this.producer.produceTimeoutMs);
    if (partitions === undefined) {
      // Kafka leaves topics the gateway may not describe out of the listing: such a produce is
      // refused per record with 40301 and answered 403, as Confluent's producer reports it.
      if (await this.metadata.isDenied(topic)) return this.denied(topic, request.records.length);
      throw Errors.topicNotFound(topic);
    }
    const count = partitions.length;
    if (pathPartition !== undefined && pathPartition >= count) throw Errors.partitionNotFound();

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
      const partition = r.partition ?? this.producer.choosePartition(topic, partitions, r.key);
      if (partition >= count) {
        offsets[i] = failed({
          error_code: PARTITION_NOT_FOUND,
          error: `Partition ${partition} not found.`,
        });
        continue;
      }
      const extras = request.extras?.[i];
      outgoing.push(
        extras === undefined
          ? { partition, key: r.key, value: r.value }
          : {
              partition,
              key: r.key,
              value: r.value,
              ...(extras.headers === undefined ? {} : { headers: extras.headers }),
              ...(extras.timestamp === undefined ? {} : { timestamp: extras.timestamp }),
            },
      );
      slots.push(i);
    }

    const sent = await this.outcomes.send(topic, format, outgoing, started, caller);
    for (let j = 0; j < sent.length; j++) {
      const o = sent[j]!;
      offsets[slots[j]!] = o.ok
        ? { partition: o.partition, offset: o.offset, error_code: null, error: null }
        : failed(o.error);
    }
    const codes = offsets.map((o) => o.error_code);
    this.outcomes.countFailures(codes.filter((c): c is number => c !== null));
    return {
      status: ProduceOutcomes.status(codes),
      body: {
        offsets,
        key_schema_id: encode.keySchemaId,
        value_schema_id: encode.valueSchemaId,
      },
    };
  }
}

const AUTHORIZATION_FAILED = catalogueEntry('kafka_authorization_failed').errorCode;

function failed(e: Pick<RecordError, 'error_code' | 'error'>): OffsetEntry {
  return { partition: null, offset: null, error_code: e.error_code, error: e.error };
}
