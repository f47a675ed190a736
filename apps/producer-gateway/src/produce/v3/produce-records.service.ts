import { Inject, Injectable } from '@nestjs/common';
import {
  CodecError,
  decodeBinaryField,
  encodeJsonField,
  stringifyExactJson,
  formatOfV3Name,
  parseMediaType,
  type ResolvedWriter,
  SchemaSerde,
  v3NameOf,
} from '@kafka-gateway/codec';
import {
  byteMeter,
  ErrorResponder,
  GatewayError,
  principalOf,
  toGatewayError,
} from '@kafka-gateway/server-kit';
import type { Request, Response } from 'express';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../../config/producer.config';
import { KafkaProducerService, type OutgoingRecord } from '../../kafka/kafka-producer.service';
import { TopicMetadataService } from '../../kafka/topic-metadata.service';
import { ProduceOutcomes } from '../produce-outcomes';
import { StreamingProduce, type RecordPipeline, type ResultEntry } from './streaming-produce';
import { parseProduceBatch } from './produce-batch.parser';
import { parseV3Record, type V3Data, type V3Header } from './v3-record.parser';

/** The answer of `records:batch` (HTTP 207): per entry, a success or a failure, in entry order. */
export interface BatchResponse {
  successes: ({ id: string } & Record<string, unknown>)[];
  failures: { id: string; error_code: number; message: string }[];
}

/** The `key`/`value` block of a success line. */
interface FieldReport {
  type: string;
  subject?: string;
  schema_id?: number;
  schema_version?: number;
  size: number;
}

interface Encoded {
  readonly bytes: Buffer | null;
  readonly report: FieldReport | undefined;
}

interface Prepared {
  readonly record: OutgoingRecord;
  readonly timestamp: number;
  readonly key: FieldReport | undefined;
  readonly value: FieldReport | undefined;
}

/** The success line's code (Confluent's v3 per-record `error_code` of a written record). */
const WRITTEN = 200;

/**
 * `POST /v3/clusters/{c}/topics/{t}/records`: a stream of JSON records in, one result line per
 * record out (see StreamingProduce). Records go through the same batching producer as v2.
 */
@Injectable()
export class ProduceRecordsService {
  constructor(
    private readonly metadata: TopicMetadataService,
    private readonly producer: KafkaProducerService,
    private readonly outcomes: ProduceOutcomes,
    private readonly schemas: SchemaSerde,
    private readonly responder: ErrorResponder,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
  ) {}

  async produce(clusterId: string, topic: string, req: Request, res: Response): Promise<void> {
    const encoding = bodyEncoding(req.headers['content-type']);
    const pipeline = this.pipeline(clusterId, topic, req);
    await new StreamingProduce(req, res, pipeline, {
      maxInFlight: this.config.streaming.maxInFlightRecords,
      maxRecordBytes: this.config.streaming.maxRecordBytes,
      maxJsonDepth: this.config.http.maxJsonDepth,
      encoding,
      meter: byteMeter(req),
    }).run();
  }

  /**
   * `POST .../records:batch`: up to BATCH_MAX_ENTRIES records in one JSON body, answered 207 with
   * each entry's success or failure. The records are prepared concurrently and sent in entry
   * order through the same pipeline (and batching producer) as the streaming endpoint.
   */
  async produceBatch(
    clusterId: string,
    topic: string,
    body: unknown,
    req: Request,
  ): Promise<BatchResponse> {
    const entries = parseProduceBatch(body);
    const pipeline = this.pipeline(clusterId, topic, req);
    const receivedAt = Date.now();
    const prepared = await Promise.allSettled(
      entries.map((e) => pipeline.prepare(e.record, receivedAt)),
    );
    const ready: Prepared[] = [];
    for (const p of prepared) if (p.status === 'fulfilled') ready.push(p.value);
    const sent = ready.length > 0 ? await pipeline.submit(ready) : [];
    const response: BatchResponse = { successes: [], failures: [] };
    let next = 0;
    entries.forEach((e, i) => {
      const p = prepared[i]!;
      const entry = p.status === 'fulfilled' ? sent[next++]! : pipeline.failure(p.reason);
      if (entry.error_code === WRITTEN) {
        const { error_code: _written, ...success } = entry;
        response.successes.push({ id: e.id, ...success });
      } else {
        response.failures.push({
          id: e.id,
          error_code: entry.error_code,
          message: String(entry['message']),
        });
      }
    });
    return response;
  }

  private pipeline(clusterId: string, topic: string, req: Request): RecordPipeline<Prepared> {
    // principal propagation: refused (401) before the stream is read
    const caller = this.producer.callerOf(principalOf(req));
    // Writers resolved once per distinct schema spec in this request (registry I/O at most once).
    const writers = new Map<string, Promise<ResolvedWriter>>();
    const encode = async (role: 'key' | 'value', d: V3Data | undefined): Promise<Encoded> => {
      if (d === undefined) return { bytes: null, report: undefined };
      if (d.type === 'BINARY' || d.type === 'JSON' || d.type === 'STRING') {
        const bytes = encodePlain(d.type, d.data);
        return { bytes, report: { type: d.type, size: bytes?.length ?? 0 } };
      }
      const spec = {
        format: d.type === undefined ? undefined : formatOfV3Name(d.type),
        subject: d.subject,
        subjectNameStrategy: d.subjectNameStrategy,
        schemaId: d.schemaId,
        schemaVersion: d.schemaVersion,
        schema: d.schema,
      };
      const cacheKey = `${role}\u0000${JSON.stringify(spec)}`;
      let writer = writers.get(cacheKey);
      if (writer === undefined) {
        writer = this.schemas.resolveWriter(topic, role, spec);
        writers.set(cacheKey, writer);
      }
      const w = await writer;
      const bytes = w.serialize(d.data);
      return {
        bytes,
        report: {
          type: v3NameOf(w.format),
          subject: w.subject,
          schema_id: w.schemaId,
          schema_version: w.schemaVersion,
          size: bytes?.length ?? 0,
        },
      };
    };
    // Every failed record's line is made (and counted) here, whether it failed while prepared,
    // refused as a whole (Kafka unavailable) or by Kafka itself.
    const failure = (err: unknown): ResultEntry => {
      const { body } = this.responder.describe(err, req, undefined, false);
      this.outcomes.countFailures([body.error_code]);
      return { error_code: body.error_code, message: body.message };
    };

    return {
      prepare: async (raw, receivedAt) => {
        const r = parseV3Record(raw);
        const partitions = await this.metadata.cachedPartitions(
          topic,
          this.producer.produceTimeoutMs,
        );
        if (partitions === undefined) {
          if (await this.metadata.isDenied(topic)) {
            throw new GatewayError(
              'kafka_authorization_failed',
              `Not authorized to access topics: [${topic}]`,
            );
          }
          throw new GatewayError('topic_not_found', `Topic ${topic} not present in metadata.`);
        }
        const [key, value] = await Promise.all([encode('key', r.key), encode('value', r.value)]);
        const partition =
          r.partitionId ?? this.producer.choosePartition(topic, partitions, key.bytes);
        if (partition >= partitions.length)
          throw new GatewayError('partition_not_found', `Partition ${partition} not found.`);
        const timestamp = r.timestamp ?? receivedAt;
        return {
          record: {
            partition,
            key: key.bytes,
            value: value.bytes,
            ...(r.headers.length > 0 ? { headers: groupHeaders(r.headers) } : {}),
            timestamp: String(timestamp),
          },
          timestamp,
          key: key.report,
          value: value.report,
        };
      },
      submit: async (prepared) => {
        const started = process.hrtime.bigint();
        const sent = await this.outcomes.send(
          topic,
          'v3',
          prepared.map((p) => p.record),
          started,
          caller,
          req,
        );
        const entries = sent.map((o, i): ResultEntry => {
          if (!o.ok) return failure(toGatewayError(o.cause));
          const p = prepared[i]!;
          return {
            error_code: WRITTEN,
            cluster_id: clusterId,
            topic_name: topic,
            partition_id: o.partition,
            offset: o.offset,
            timestamp: new Date(p.timestamp).toISOString(),
            ...(p.key === undefined ? {} : { key: p.key }),
            ...(p.value === undefined ? {} : { value: p.value }),
          };
        });
        return entries;
      },
      failure,
    };
  }
}

function encodePlain(type: 'BINARY' | 'JSON' | 'STRING', data: unknown): Buffer | null {
  if (type === 'BINARY') {
    try {
      return decodeBinaryField(data, 'value');
    } catch {
      const shown =
        typeof data === 'string' ? data.slice(0, 40) : stringifyExactJson(data).slice(0, 40);
      throw new CodecError('invalid_base64', `Bad Request: data=${shown} is not a base64 string.`);
    }
  }
  if (type === 'JSON') return encodeJsonField(data);
  if (data === undefined || data === null) return null;
  if (typeof data !== 'string')
    throw new CodecError('invalid_payload', 'Bad Request: STRING data must be a JSON string');
  return Buffer.from(data, 'utf8');
}

const EMPTY = Buffer.alloc(0);

/**
 * Headers by name for kafkajs. kafkajs cannot encode a null header value, so a null value is
 * sent as an empty one (see docs/api-compatibility.md).
 */
function groupHeaders(headers: readonly V3Header[]): Record<string, Buffer[]> {
  const grouped: Record<string, Buffer[]> = {};
  for (const h of headers) (grouped[h.name] ??= []).push(h.value ?? EMPTY);
  return grouped;
}

/**
 * The body must be `application/json` (415 otherwise); its charset, when given, UTF-8 or
 * ISO-8859-1 (400 otherwise), as Confluent's v3 produce. A missing Content-Type reads as JSON.
 */
function bodyEncoding(contentType: string | undefined): BufferEncoding {
  if (contentType === undefined) return 'utf8';
  const type = parseMediaType(contentType);
  if (type === undefined || `${type.type}/${type.subtype}` !== 'application/json')
    throw new CodecError('unsupported_media_type', 'HTTP 415 Unsupported Media Type');
  const charset = type.params['charset']?.toLowerCase();
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return 'utf8';
  if (charset === 'iso-8859-1' || charset === 'latin1') return 'latin1';
  throw new GatewayError('invalid_request', `Bad Request: unsupported charset ${charset}`);
}
