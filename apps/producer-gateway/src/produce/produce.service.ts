import { Inject, Injectable } from '@nestjs/common';
import {
  CodecError,
  decodeBinaryField,
  type EmbeddedFormat,
  encodeJsonField,
} from '@kafka-gateway/codec';
import {
  GatewayError,
  type RecordError,
  toGatewayError,
  toRecordError,
} from '@kafka-gateway/server-kit';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';

import { KafkaService, type OutgoingRecord } from '../kafka/kafka.service';
import { parseProduceRequest } from './produce-request.parser';
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

const ENCODERS: Partial<Record<EmbeddedFormat, FieldEncoder>> = {
  binary: decodeBinaryField,
  json: encodeJsonField,
};

/** v2 produce: validate, serialize, choose partitions, send with acks=all, report per record. */
@Injectable()
export class ProduceService {
  constructor(
    private readonly kafka: KafkaService,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
    private readonly metrics: ProduceMetrics,
  ) {}

  async produce(
    topic: string,
    pathPartition: number | undefined,
    format: EmbeddedFormat,
    body: unknown,
  ): Promise<ProduceResult> {
    const started = process.hrtime.bigint();
    const request = parseProduceRequest(body, this.config.produce.maxRecordsPerRequest);
    const encode = ENCODERS[format];
    if (encode === undefined) {
      throw new CodecError(
        'unsupported_format',
        `Embedded format ${format} is not supported by this gateway yet`,
      );
    }
    // Serialize every record before anything is sent: a bad record fails the whole request
    // (400), as in Confluent, and nothing of it reaches Kafka.
    const encoded = request.records.map((r) => ({
      key: encode(r.key, 'key'),
      value: encode(r.value, 'value'),
      partition: pathPartition ?? r.partition ?? undefined,
    }));

    const partitions = await this.kafka.cachedPartitions(topic);
    if (partitions === undefined)
      throw new GatewayError('topic_not_found', `Topic ${topic} not found.`);
    const count = partitions.length;
    if (pathPartition !== undefined && pathPartition >= count) {
      throw new GatewayError('partition_not_found', 'Partition not found.');
    }

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
    return { status, body: { offsets, key_schema_id: null, value_schema_id: null } };
  }
}

function failed(e: RecordError): OffsetEntry {
  return { partition: null, offset: null, error_code: e.error_code, error: e.error };
}
