import { type EmbeddedFormat, isEmbeddedFormat, stringifyExactJson } from '@kafka-gateway/codec';
import {
  Errors,
  GatewayError,
  NO_METADATA,
  parseRecordMetadata,
  type RecordMetadata,
} from '@kafka-gateway/server-kit';
import type { CommitOffset, Subscription, TopicPartition } from '../kafka/consumer-port';

/**
 * Pure validation of the v2 consumer request bodies (Confluent's rules: unknown fields → 422
 * `Unrecognized field`, wrong JSON types → 400). Only the documented fields are accepted: no
 * Kafka client property supplied by a caller ever reaches the Kafka client.
 */

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyFields(body: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const field in body) {
    if (!allowed.has(field))
      throw new GatewayError('unrecognized_field', `Unrecognized field: ${field.slice(0, 100)}`);
  }
}

function objectBody(body: unknown, optional: boolean): Record<string, unknown> {
  if (body === undefined || body === null) {
    if (optional) return {};
    throw new GatewayError('validation_failed', 'Request body is empty');
  }
  if (!isObject(body))
    throw new GatewayError('invalid_request', 'Request body must be a JSON object');
  return body;
}

export interface CreateConsumerRequest {
  readonly name: string | undefined;
  readonly format: EmbeddedFormat;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly autoCommit: boolean;
  readonly fetchMinBytes: number;
  readonly requestTimeoutMs: number | undefined;
  /** `poison.policy`; undefined: the gateway's default (CONSUMER_POISON_POLICY). */
  readonly poisonPolicy: PoisonPolicy | undefined;
  /** `poison.dead_letter_topic`; undefined: the gateway's default. */
  readonly deadLetterTopic: string | undefined;
  /** `record.metadata`: what each returned record carries beyond Confluent's fields. */
  readonly recordMetadata: RecordMetadata;
}

/** What a records fetch does with a record it cannot decode (see docs/compatibility.md). */
export type PoisonPolicy = 'fail' | 'skip' | 'dead-letter';
export const POISON_POLICIES: readonly PoisonPolicy[] = ['fail', 'skip', 'dead-letter'];

export function isPoisonPolicy(v: unknown): v is PoisonPolicy {
  return typeof v === 'string' && (POISON_POLICIES as readonly string[]).includes(v);
}

/** Kafka's legal topic names (the DLQ topic is checked before it is ever written to). */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

const CREATE_FIELDS = new Set([
  'name',
  'id',
  'format',
  'auto.offset.reset',
  'auto.commit.enable',
  'fetch.min.bytes',
  'responseMinBytes',
  'consumer.request.timeout.ms',
  'requestWaitMs',
  'poison.policy',
  'poison.dead_letter_topic',
  'record.metadata',
]);
const NAME = /^[A-Za-z0-9._-]{1,200}$/;

export function parseCreateConsumer(raw: unknown): CreateConsumerRequest {
  const body = objectBody(raw, true);
  onlyFields(body, CREATE_FIELDS);
  const nameValue = body['id'] ?? body['name'];
  let name: string | undefined;
  if (nameValue !== undefined && nameValue !== null) {
    if (typeof nameValue !== 'string')
      throw new GatewayError('invalid_request', 'name must be a string');
    if (!NAME.test(nameValue)) {
      throw new GatewayError(
        'validation_failed',
        'Invalid consumer name: use 1-200 characters of letters, digits, ".", "_" and "-"',
      );
    }
    name = nameValue;
  }
  const formatValue = body['format'] ?? 'binary';
  if (typeof formatValue !== 'string' || !isEmbeddedFormat(formatValue.toLowerCase())) {
    throw new GatewayError('validation_failed', 'Invalid format type.');
  }
  const reset = body['auto.offset.reset'] ?? 'latest';
  if (reset !== 'earliest' && reset !== 'latest' && reset !== 'smallest' && reset !== 'largest') {
    throw new GatewayError(
      'invalid_consumer_config',
      `Invalid consumer configuration: auto.offset.reset=${stringifyExactJson(reset).slice(0, 50)} (earliest or latest)`,
    );
  }
  const commit = body['auto.commit.enable'] ?? 'true';
  if (commit !== 'true' && commit !== 'false' && commit !== true && commit !== false) {
    throw new GatewayError(
      'invalid_consumer_config',
      'Invalid consumer configuration: auto.commit.enable must be true or false',
    );
  }
  const minBytes = body['fetch.min.bytes'] ?? body['responseMinBytes'] ?? -1;
  if (
    typeof minBytes !== 'number' ||
    !Number.isInteger(minBytes) ||
    minBytes < -1 ||
    minBytes > 10_000_000
  ) {
    throw new GatewayError(
      'consumer_config_constraint',
      'fetch.min.bytes must be an integer between -1 and 10000000',
    );
  }
  const timeout = body['consumer.request.timeout.ms'] ?? body['requestWaitMs'];
  if (
    timeout !== undefined &&
    (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > 300_000)
  ) {
    throw new GatewayError(
      'consumer_config_constraint',
      'consumer.request.timeout.ms must be an integer between 0 and 300000',
    );
  }
  const policy = body['poison.policy'];
  if (policy !== undefined && policy !== null && !isPoisonPolicy(policy)) {
    throw new GatewayError(
      'invalid_consumer_config',
      `Invalid consumer configuration: poison.policy=${stringifyExactJson(policy).slice(0, 50)} (fail, skip or dead-letter)`,
    );
  }
  const dlq = body['poison.dead_letter_topic'];
  if (dlq !== undefined && dlq !== null && (typeof dlq !== 'string' || !TOPIC_NAME.test(dlq))) {
    throw new GatewayError(
      'invalid_consumer_config',
      'Invalid consumer configuration: poison.dead_letter_topic must be a topic name',
    );
  }
  const metadataValue = body['record.metadata'];
  let recordMetadata: RecordMetadata = NO_METADATA;
  if (metadataValue !== undefined && metadataValue !== null) {
    const parsed =
      typeof metadataValue === 'string' ? parseRecordMetadata(metadataValue) : undefined;
    if (parsed === undefined) {
      throw new GatewayError(
        'invalid_consumer_config',
        'Invalid consumer configuration: record.metadata must list headers and/or timestamp, e.g. "headers,timestamp"',
      );
    }
    recordMetadata = parsed;
  }
  return {
    name,
    format: formatValue.toLowerCase() as EmbeddedFormat,
    poisonPolicy: policy ?? undefined,
    deadLetterTopic: dlq ?? undefined,
    recordMetadata,
    autoOffsetReset: reset === 'earliest' || reset === 'smallest' ? 'earliest' : 'latest',
    autoCommit: commit === true || commit === 'true',
    fetchMinBytes: minBytes,
    requestTimeoutMs: timeout,
  };
}

function topicPartition(v: unknown, where: string): TopicPartition {
  if (!isObject(v)) throw new GatewayError('invalid_request', `${where} must be an object`);
  const { topic, partition } = v;
  if (typeof topic !== 'string' || topic === '')
    throw new GatewayError('invalid_request', `${where}.topic must be a topic name`);
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw new GatewayError('invalid_request', `${where}.partition must be a non-negative integer`);
  }
  return { topic, partition };
}

function list(
  body: Record<string, unknown>,
  field: string,
  required: boolean,
): unknown[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (required) throw new GatewayError('validation_failed', `${field} must not be empty`);
    return undefined;
  }
  if (!Array.isArray(v)) throw new GatewayError('invalid_request', `${field} must be an array`);
  return v as unknown[];
}

/** `{"topics": [...]}` or `{"topic_pattern": "..."}`; topics win when both are given (Confluent). */
export function parseSubscription(raw: unknown): Subscription | undefined {
  const body = objectBody(raw, false);
  onlyFields(body, new Set(['topics', 'topic_pattern']));
  const topics = list(body, 'topics', false);
  if (topics !== undefined) {
    if (topics.length === 0)
      throw new GatewayError('validation_failed', 'topics must not be empty');
    for (const t of topics)
      if (typeof t !== 'string' || t === '')
        throw new GatewayError('invalid_request', 'topics must be topic names');
    return { kind: 'topics', topics: [...new Set(topics as string[])] };
  }
  const pattern = body['topic_pattern'];
  if (pattern === undefined || pattern === null) return undefined;
  if (typeof pattern !== 'string' || pattern === '')
    throw new GatewayError('invalid_request', 'topic_pattern must be a string');
  try {
    return { kind: 'pattern', pattern: new RegExp(`^(?:${pattern})$`) };
  } catch {
    throw new GatewayError('validation_failed', 'topic_pattern is not a valid regular expression');
  }
}

export function parsePartitions(raw: unknown): TopicPartition[] {
  const body = objectBody(raw, false);
  onlyFields(body, new Set(['partitions']));
  return list(body, 'partitions', true)!.map((p, i) => topicPartition(p, `partitions[${i}]`));
}

export interface SeekRequest {
  readonly offsets: { tp: TopicPartition; offset: number }[];
  readonly timestamps: { tp: TopicPartition; timestampMs: number }[];
}

export function parseSeek(raw: unknown): SeekRequest {
  const body = objectBody(raw, false);
  onlyFields(body, new Set(['offsets', 'timestamps']));
  const offsets = (list(body, 'offsets', false) ?? []).map((o, i) => {
    const tp = topicPartition(o, `offsets[${i}]`);
    const offset = (o as Record<string, unknown>)['offset'];
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      throw new GatewayError(
        'invalid_request',
        `offsets[${i}].offset must be a non-negative integer`,
      );
    }
    return { tp, offset };
  });
  const timestamps = (list(body, 'timestamps', false) ?? []).map((o, i) => {
    const tp = topicPartition(o, `timestamps[${i}]`);
    const ts = (o as Record<string, unknown>)['timestamp'];
    const ms = typeof ts === 'string' ? Date.parse(ts) : typeof ts === 'number' ? ts : Number.NaN;
    if (!Number.isFinite(ms) || ms < 0)
      throw new GatewayError(
        'invalid_request',
        `timestamps[${i}].timestamp must be an ISO-8601 instant`,
      );
    return { tp, timestampMs: ms };
  });
  if (offsets.length === 0 && timestamps.length === 0)
    throw new GatewayError('validation_failed', 'offsets or timestamps must not be empty');
  return { offsets, timestamps };
}

/** Commit body: undefined (no body) commits everything returned so far. Commits `offset + 1`. */
export function parseCommit(raw: unknown): CommitOffset[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const body = objectBody(raw, false);
  onlyFields(body, new Set(['offsets']));
  const offsets = list(body, 'offsets', false);
  if (offsets === undefined) return undefined;
  return offsets.map((o, i) => {
    const tp = topicPartition(o, `offsets[${i}]`);
    const rec = o as Record<string, unknown>;
    const offset = rec['offset'];
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      throw new GatewayError(
        'invalid_request',
        `offsets[${i}].offset must be a non-negative integer`,
      );
    }
    const metadata = rec['metadata'];
    if (metadata !== undefined && metadata !== null && typeof metadata !== 'string') {
      throw new GatewayError('invalid_request', `offsets[${i}].metadata must be a string`);
    }
    return { ...tp, offset: String(offset + 1), metadata: metadata ?? null };
  });
}

/** The committed-offsets query: a body with partitions is required (Confluent: 404 40402). */
export function parseCommittedQuery(raw: unknown): TopicPartition[] {
  if (raw === undefined || raw === null || (isObject(raw) && raw['partitions'] === undefined)) {
    throw Errors.partitionNotFound();
  }
  return parsePartitions(raw);
}
