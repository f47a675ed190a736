import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, kafka, produceValues, RestConsumer, uid } from './support';

const values = (records: { value: unknown }[]): string[] =>
  records.map((r) => Buffer.from(String(r.value), 'base64').toString()).sort();

async function createNamedTopic(topic: string, partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Longer than CONSUMER_METADATA_REFRESH_MS (5 s) plus a group join and a fetch. */
const PICK_UP_MS = 30_000;

test('topics and topic_pattern are mutually exclusive (409/40903) until unsubscribed', async () => {
  const topic = await createTopic();
  const c = await RestConsumer.create(uid('g'));
  assert.equal((await c.call('POST', '/subscription', { topics: [topic] })).status, 204);
  const toPattern = await c.call('POST', '/subscription', { topic_pattern: `${topic}.*` });
  assert.equal(toPattern.status, 409, toPattern.text);
  assert.deepEqual(toPattern.body, {
    error_code: 40903,
    message: 'Illegal state: Subscription to topics, partitions and pattern are mutually exclusive',
  });
  assert.deepEqual((await c.call('GET', '/subscription')).body, { topics: [topic] });
  assert.equal((await c.call('DELETE', '/subscription')).status, 204);
  assert.equal(
    (await c.call('POST', '/subscription', { topic_pattern: `${topic}.*` })).status,
    204,
  );
  const toTopics = await c.call('POST', '/subscription', { topics: [topic] });
  assert.equal(toTopics.status, 409, toTopics.text);
  assert.equal((toTopics.body as { error_code: number }).error_code, 40903);
  await c.delete();
});

test('a topic_pattern subscription reads a matching topic created after the subscription', async () => {
  const prefix = uid('e2e-pat');
  await createNamedTopic(`${prefix}-a`);
  await produceValues(`${prefix}-a`, ['a1']);
  const c = await RestConsumer.create(uid('g'));
  assert.equal(
    (await c.call('POST', '/subscription', { topic_pattern: `${prefix}-.*` })).status,
    204,
  );
  assert.deepEqual(values(await c.recordsUntil(1)), ['a1']);

  await createNamedTopic(`${prefix}-b`, 2);
  await produceValues(`${prefix}-b`, ['b1', 'b2']);
  await produceValues(`${prefix}-a`, ['a2']);
  const later = await c.recordsUntil(3, PICK_UP_MS);
  // a1 is read again unless it was committed: the new topic is a rebalance of the instance
  assert.deepEqual(
    values(later).filter((v) => v !== 'a1'),
    ['a2', 'b1', 'b2'],
  );
  assert.deepEqual((await c.call('GET', '/subscription')).body, {
    topics: [`${prefix}-a`, `${prefix}-b`],
  });
  await c.delete();
});

test('subscribing to a topic that does not exist yet is accepted; records flow once it is created', async () => {
  const topic = uid('e2e-later');
  const c = await RestConsumer.create(uid('g'));
  const sub = await c.call('POST', '/subscription', { topics: [topic] });
  assert.equal(sub.status, 204, sub.text);
  assert.deepEqual((await c.call('GET', '/subscription')).body, { topics: [topic] });
  assert.deepEqual(await c.records(500), []);
  await createNamedTopic(topic);
  await produceValues(topic, ['x', 'y']);
  assert.deepEqual(values(await c.recordsUntil(2, PICK_UP_MS)), ['x', 'y']);
  await c.commit();
  await c.delete();
});
