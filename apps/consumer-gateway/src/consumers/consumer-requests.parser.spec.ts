import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import {
  parseCommit,
  parseCommittedQuery,
  parseCreateConsumer,
  parseSeek,
  parseSubscription,
} from './consumer-requests.parser';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e.code;
    throw e;
  }
  return undefined;
};

test('create: defaults, aliases, and every rule', () => {
  assert.deepEqual(parseCreateConsumer(undefined), {
    name: undefined,
    format: 'binary',
    autoOffsetReset: 'latest',
    autoCommit: true,
    fetchMinBytes: -1,
    requestTimeoutMs: undefined,
    poisonPolicy: undefined,
    deadLetterTopic: undefined,
    recordMetadata: { headers: false, timestamp: false },
  });
  const c = parseCreateConsumer({
    name: 'c1',
    format: 'JSON',
    'auto.offset.reset': 'earliest',
    'auto.commit.enable': false,
    'fetch.min.bytes': 1,
    'consumer.request.timeout.ms': 3000,
  });
  assert.deepEqual(c, {
    name: 'c1',
    format: 'json',
    autoOffsetReset: 'earliest',
    autoCommit: false,
    fetchMinBytes: 1,
    requestTimeoutMs: 3000,
    poisonPolicy: undefined,
    deadLetterTopic: undefined,
    recordMetadata: { headers: false, timestamp: false },
  });
  assert.equal(
    code(() => parseCreateConsumer({ 'bootstrap.servers': 'evil:9092' })),
    'unrecognized_field',
  );
  assert.equal(
    code(() => parseCreateConsumer({ 'sasl.jaas.config': 'x' })),
    'unrecognized_field',
  );
  assert.equal(
    code(() => parseCreateConsumer({ format: 'xml' })),
    'validation_failed',
  );
  assert.equal(
    code(() => parseCreateConsumer({ name: '../x' })),
    'validation_failed',
  );
  assert.equal(
    code(() => parseCreateConsumer({ 'auto.offset.reset': 'none' })),
    'invalid_consumer_config',
  );
  // a long integer arrives as a BigInt (exact JSON parsing): still a 4xx, never a 500
  for (const field of ['auto.offset.reset', 'auto.commit.enable', 'fetch.min.bytes', 'format'])
    assert.equal(
      typeof code(() => parseCreateConsumer({ [field]: 9007199254740993n })),
      'string',
      `${field}: refused with a Confluent error`,
    );
  assert.equal(
    code(() => parseCreateConsumer({ 'fetch.min.bytes': 10_000_001 })),
    'consumer_config_constraint',
  );
  assert.equal(
    code(() => parseCreateConsumer([])),
    'invalid_request',
  );
});

test('subscription: topics win over a pattern; neither is a no-op', () => {
  assert.deepEqual(parseSubscription({ topics: ['a', 'a', 'b'], topic_pattern: 'x.*' }), {
    kind: 'topics',
    topics: ['a', 'b'],
  });
  const p = parseSubscription({ topic_pattern: 'orders-.*' });
  assert.ok(p?.kind === 'pattern' && p.pattern.test('orders-1') && !p.pattern.test('xorders-1'));
  assert.equal(parseSubscription({}), undefined);
  assert.equal(
    code(() => parseSubscription({ topic_pattern: '(' })),
    'validation_failed',
  );
  assert.equal(
    code(() => parseSubscription({ topics: [] })),
    'validation_failed',
  );
});

test('commit adds one to each offset; no body means everything returned', () => {
  assert.equal(parseCommit(undefined), undefined);
  assert.deepEqual(
    parseCommit({ offsets: [{ topic: 't', partition: 0, offset: 20, metadata: 'm' }] }),
    [{ topic: 't', partition: 0, offset: '21', metadata: 'm' }],
  );
  assert.equal(
    code(() => parseCommit({ offsets: [{ topic: 't', partition: 0, offset: -1 }] })),
    'invalid_request',
  );
});

test('seek accepts offsets and ISO-8601 timestamps', () => {
  const s = parseSeek({
    offsets: [{ topic: 't', partition: 1, offset: 5 }],
    timestamps: [{ topic: 't', partition: 0, timestamp: '2021-02-05T19:14:42Z' }],
  });
  assert.equal(s.offsets[0]?.offset, 5);
  assert.equal(s.timestamps[0]?.timestampMs, Date.parse('2021-02-05T19:14:42Z'));
  assert.equal(
    code(() => parseSeek({ timestamps: [{ topic: 't', partition: 0, timestamp: 'yesterday' }] })),
    'invalid_request',
  );
  assert.equal(
    code(() => parseSeek({})),
    'validation_failed',
  );
});

test('committed-offsets query without a body answers 40402 like Confluent', () => {
  assert.equal(
    code(() => parseCommittedQuery(undefined)),
    'partition_not_found',
  );
  assert.deepEqual(parseCommittedQuery({ partitions: [{ topic: 't', partition: 0 }] }), [
    { topic: 't', partition: 0 },
  ]);
});

test('create: poison.policy, poison.dead_letter_topic and record.metadata', () => {
  const c = parseCreateConsumer({
    'poison.policy': 'dead-letter',
    'poison.dead_letter_topic': 'orders.dlq',
    'record.metadata': ' Timestamp , headers',
  });
  assert.deepEqual(
    [c.poisonPolicy, c.deadLetterTopic, c.recordMetadata],
    ['dead-letter', 'orders.dlq', { headers: true, timestamp: true }],
  );
  assert.deepEqual(parseCreateConsumer({ 'record.metadata': 'timestamp' }).recordMetadata, {
    headers: false,
    timestamp: true,
  });
  assert.deepEqual(parseCreateConsumer({ 'record.metadata': 'none' }).recordMetadata, {
    headers: false,
    timestamp: false,
  });
  for (const bad of [
    { 'poison.policy': 'ignore' },
    { 'poison.policy': 1 },
    { 'poison.dead_letter_topic': 'bad topic' },
    { 'poison.dead_letter_topic': 7 },
    { 'record.metadata': 'headers,offsets' },
    { 'record.metadata': true },
  ]) {
    assert.equal(
      code(() => parseCreateConsumer(bad)),
      'invalid_consumer_config',
      JSON.stringify(bad),
    );
  }
});
