import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { EmbeddedFormat } from '@kafka-gateway/codec';
import {
  catalogueEntry,
  Errors,
  type RecordError,
  toRecordError,
  TraceService,
  withTraceHeaders,
} from '@kafka-gateway/server-kit';
import {
  KafkaProducerService,
  type OutgoingRecord,
  type ProduceCaller,
} from '../kafka/kafka-producer.service';
import { TopicMetadataService } from '../kafka/topic-metadata.service';
import { ProduceMetrics } from './produce-metrics';

/** One record's fate as both produce APIs report it. */
export type SentRecord =
  | { readonly ok: true; readonly partition: number; readonly offset: number }
  | {
      readonly ok: false;
      /** The kafkajs (or gateway) error, for APIs that map it themselves (v3). */
      readonly cause: unknown;
      /** Confluent's per-record code and message (v2). */
      readonly error: RecordError;
    };

const AUTHENTICATION_FAILED = catalogueEntry('kafka_authentication_failed').errorCode;
const AUTHORIZATION_FAILED = catalogueEntry('kafka_authorization_failed').errorCode;

/**
 * What v2 and v3 produce share once their records are serialized: the Kafka-unavailable answer
 * (503 with Retry-After), sending through the batching producer, per-record outcomes, the records
 * and bytes counted, stale metadata dropped, and Confluent's 401/403 promotion.
 */
@Injectable()
export class ProduceOutcomes {
  constructor(
    private readonly producer: KafkaProducerService,
    private readonly metadata: TopicMetadataService,
    private readonly metrics: ProduceMetrics,
    private readonly tracing: TraceService,
  ) {}

  /**
   * Sends records (explicit partitions) and answers each one's fate once Kafka acknowledged it.
   * Unreachable Kafka fails the whole call with a retriable 503 before anything is queued.
   * `caller` (from `callerOf`, principal propagation) sends with that caller's own producer.
   * With tracing on, the send is one producer span and each record carries its `traceparent`
   * (`req`: the request, where this runs outside its async context, as a v3 stream does).
   */
  async send(
    topic: string,
    format: EmbeddedFormat | 'v3',
    records: readonly OutgoingRecord[],
    startedAt: bigint,
    caller: ProduceCaller | undefined,
    req?: IncomingMessage,
  ): Promise<SentRecord[]> {
    if (records.length === 0) {
      this.metrics.produced(topic, format, 0, 0, secondsSince(startedAt));
      return [];
    }
    if (!this.producer.isConnected()) throw Errors.kafkaUnavailable();
    if (!this.tracing.enabled) return this.sendRecords(topic, format, records, startedAt, caller);
    const span = this.tracing.startProduce(topic, records.length, req);
    try {
      const traced =
        span?.headers === undefined ? records : withTraceHeaders(records, span.headers);
      const sent = await this.sendRecords(topic, format, traced, startedAt, caller);
      span?.end(sent.reduce((n, s) => (s.ok ? n : n + 1), 0));
      return sent;
    } catch (err) {
      span?.end(0, err);
      throw err;
    }
  }

  private async sendRecords(
    topic: string,
    format: EmbeddedFormat | 'v3',
    records: readonly OutgoingRecord[],
    startedAt: bigint,
    caller: ProduceCaller | undefined,
  ): Promise<SentRecord[]> {
    // the produce timeout counts from the request's start: metadata and schema lookups use it too
    const leftMs = this.producer.produceTimeoutMs - secondsSince(startedAt) * 1000;
    const outcomes = await this.producer.produce(
      topic,
      records,
      caller,
      Number.isFinite(leftMs) ? Math.max(MIN_SEND_WAIT_MS, leftMs) : undefined,
    );
    let stale = false;
    let produced = 0;
    let bytes = 0;
    const sent = outcomes.map((o, i): SentRecord => {
      if ('error' in o) {
        const error = toRecordError(o.error);
        stale ||= error.staleMetadata;
        return { ok: false, cause: o.error, error };
      }
      produced++;
      const r = records[i]!;
      bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
      return { ok: true, partition: o.partition, offset: o.offset };
    });
    if (stale) this.metadata.invalidate();
    this.metrics.produced(topic, format, produced, bytes, secondsSince(startedAt));
    return sent;
  }

  /** Counts the per-record failures of a response by their `error_code`. */
  countFailures(errorCodes: Iterable<number>): void {
    for (const code of errorCodes) this.metrics.recordFailed(code);
  }

  /**
   * Confluent answers a v2 produce whose records failed authentication or authorization with
   * 401 or 403 (the body still lists every record).
   */
  static status(errorCodes: readonly (number | null)[]): number {
    if (errorCodes.includes(AUTHENTICATION_FAILED)) return 401;
    if (errorCodes.includes(AUTHORIZATION_FAILED)) return 403;
    return 200;
  }
}

/** A request that used up its timeout before sending still gets this long for Kafka's answer. */
const MIN_SEND_WAIT_MS = 1000;

function secondsSince(startedAt: bigint): number {
  return Number(process.hrtime.bigint() - startedAt) / 1e9;
}
