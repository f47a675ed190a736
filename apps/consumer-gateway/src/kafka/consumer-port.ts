/**
 * The Kafka side of a consumer instance as the instance sees it: the kafkajs consumer adapter in
 * production, a fake in unit tests. Only our own types cross this boundary.
 */
import type { KafkaCaller, RecordTraceContext } from '@kafka-gateway/server-kit';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface FetchedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  /** Kafka's timestamp type of the record's batch. */
  readonly timestampType?: TimestampType;
  /** The record's headers in log order (absent when it has none); a null value stays null. */
  readonly headers?: readonly RecordHeader[];
  /** The producer's `traceparent`/`tracestate` headers, when the record has them. */
  readonly trace?: RecordTraceContext;
}

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface CommitOffset extends TopicPartition {
  /** The next offset to read (what Kafka stores). */
  readonly offset: string;
  readonly metadata?: string | null;
}

/** What a consumer instance learns from its Kafka consumer. */
export interface ConsumerEvents {
  /**
   * A fetched batch of one partition; `stale()` turns true once a rebalance made it obsolete.
   * A promise answered means "fetch again once it settles" (back-pressure).
   */
  onBatch(
    records: FetchedRecord[],
    highWatermark: string,
    stale: () => boolean,
  ): Promise<void> | undefined;
  /** The partitions assigned after a (re)join of the group. */
  onAssignment(assignment: TopicPartition[]): void;
  /** The consumer stopped on an error it will not recover from by itself. */
  onCrash(error: unknown): void;
}

export type Subscription =
  | { readonly kind: 'topics'; readonly topics: readonly string[] }
  | { readonly kind: 'pattern'; readonly pattern: RegExp }
  | { readonly kind: 'assign'; readonly partitions: readonly TopicPartition[] };

export interface ConsumerSettings {
  readonly group: string;
  /** The instance's name: a manual assignment uses a private group named after it. */
  readonly instance: string;
  readonly fromBeginning: boolean;
  /** kafkajs session timeout; the member is evicted this long after the process vanished. */
  readonly sessionTimeoutMs: number;
}

export interface ConsumerPort {
  start(subscription: Subscription): Promise<void>;
  stop(): Promise<void>;
  isRunning(): boolean;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  seek(tp: TopicPartition, offset: string): void;
  commit(offsets: readonly CommitOffset[]): Promise<void>;
}

/** A record copied to a dead-letter topic: the original bytes plus headers naming its origin. */
export interface DeadLetterRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

/**
 * Writes poison records to dead-letter topics (acks=all, idempotent). Resolves once Kafka
 * acknowledged the record; rejects (and nothing is assumed written) otherwise.
 */
export interface DeadLetterPort {
  send(topic: string, record: DeadLetterRecord, as?: KafkaCaller): Promise<void>;
}
