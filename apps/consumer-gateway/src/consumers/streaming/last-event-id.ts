import { Errors } from '@kafka-gateway/server-kit';
import type { TopicPartition } from '../../kafka/consumer-port';

/** Where a reconnecting stream resumes: the record after `offset` on `tp`. */
export interface ResumePoint {
  readonly tp: TopicPartition;
  /** The offset of the last record the client received (the next one is `offset + 1`). */
  readonly offset: bigint;
}

/** Kafka topic names are [a-zA-Z0-9._-] (no colon), so the id splits without ambiguity. */
const EVENT_ID = /^([a-zA-Z0-9._-]{1,249}):(\d{1,10}):(\d{1,19})$/;
const MAX_PARTITION = 2 ** 31 - 1;
const MAX_OFFSET = 2n ** 63n - 1n;

/** The id of the event that carries a record: `topic:partition:offset`. */
export function eventId(topic: string, partition: number, offset: number | string): string {
  return `${topic}:${partition}:${offset}`;
}

/**
 * Parses a `Last-Event-ID` header (what EventSource sends on reconnect). Absent or empty: a
 * fresh stream (undefined). Anything else that is not an id this gateway sent: 400.
 */
export function parseLastEventId(raw: string | string[] | undefined): ResumePoint | undefined {
  if (Array.isArray(raw)) throw Errors.invalidLastEventId();
  if (raw === undefined || raw.trim() === '') return undefined;
  const m = EVENT_ID.exec(raw.trim());
  if (m === null) throw Errors.invalidLastEventId();
  const partition = Number(m[2]);
  const offset = BigInt(m[3]!);
  if (partition > MAX_PARTITION || offset > MAX_OFFSET) throw Errors.invalidLastEventId();
  return { tp: { topic: m[1]!, partition }, offset };
}
