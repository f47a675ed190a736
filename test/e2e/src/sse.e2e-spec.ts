import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, http, JSON_V2, RestConsumer, stack, uid, V2 } from './support';
import { SseClient } from './sse.support';

/**
 * Streaming consume (Server-Sent Events) through the entry point: records arrive as events,
 * a reconnect with Last-Event-ID resumes right after, closing keeps the instance, and a stream
 * of an instance another replica owns is forwarded unchanged.
 */

const JSON_CONSUMER = { format: 'json', 'auto.commit.enable': 'false' };

async function produceJson(
  topic: string,
  values: unknown[],
  base = stack.gatewayUrl,
): Promise<void> {
  const res = await fetch(`${base}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': JSON_V2 },
    body: JSON.stringify({ records: values.map((value) => ({ value })) }),
  });
  assert.equal(res.status, 200, await res.text());
}

const recordsUrl = (c: RestConsumer, base = stack.gatewayUrl): string => `${base}${c.path}/records`;

test('records arrive as events; a reconnect with Last-Event-ID resumes right after; the instance survives', async () => {
  const topic = await createTopic(1);
  const consumer = await RestConsumer.create(uid('g'), JSON_CONSUMER);
  await consumer.subscribe([topic]);
  await produceJson(topic, [{ n: 0 }, { n: 1 }, { n: 2 }]);

  const first = await SseClient.open(recordsUrl(consumer));
  assert.equal(first.status, 200, first.body);
  assert.match(String(first.headers['content-type']), /^text\/event-stream/);
  // (nginx consumes X-Accel-Buffering; the forwarded test below sees it on a replica)
  assert.equal(first.headers['cache-control'], 'no-cache');
  const events = await first.until(3);
  assert.deepEqual(
    events.map((e) => e.id),
    [`${topic}:0:0`, `${topic}:0:1`, `${topic}:0:2`],
  );
  // data is one element of the records array, exactly
  assert.deepEqual(JSON.parse(events[1]!.data), {
    topic,
    key: null,
    value: { n: 1 },
    partition: 0,
    offset: 1,
  });

  // one stream per instance
  const second = await SseClient.open(recordsUrl(consumer));
  assert.equal(second.status, 409, second.body);
  assert.equal((JSON.parse(second.body) as { error_code: number }).error_code, 40903);

  first.close();
  // closing the stream keeps the instance
  let subscription = await consumer.call('GET', '/subscription');
  for (let i = 0; i < 20 && subscription.status !== 200; i++) {
    subscription = await consumer.call('GET', '/subscription');
  }
  assert.equal(subscription.status, 200, subscription.text);
  assert.deepEqual(subscription.body, { topics: [topic] });

  await produceJson(topic, [{ n: 3 }]);
  // the client saw offset 1 last: the next stream starts at offset 2 (sent before, not lost)
  let resumed = await SseClient.open(recordsUrl(consumer), { 'last-event-id': `${topic}:0:1` });
  for (let i = 0; i < 20 && resumed.status === 409; i++) {
    // the gateway may not have seen the first stream's disconnect yet
    await new Promise((r) => setTimeout(r, 100));
    resumed = await SseClient.open(recordsUrl(consumer), { 'last-event-id': `${topic}:0:1` });
  }
  assert.equal(resumed.status, 200, resumed.body);
  const after = await resumed.until(2);
  assert.deepEqual(
    after.map((e) => e.id),
    [`${topic}:0:2`, `${topic}:0:3`],
  );
  resumed.close();

  // commits work as today: a commit without a body covers what the streams delivered
  await new Promise((r) => setTimeout(r, 300));
  const commit = await consumer.call('POST', '/offsets');
  assert.equal(commit.status, 200, commit.text);
  assert.equal((await consumer.delete()).status, 204);
});

test('a bad Last-Event-ID is a Confluent 400, a records poll still works after it', async () => {
  const topic = await createTopic(1);
  const consumer = await RestConsumer.create(uid('g'), JSON_CONSUMER);
  await consumer.subscribe([topic]);
  const bad = await SseClient.open(recordsUrl(consumer), { 'last-event-id': 'not-an-id' });
  assert.equal(bad.status, 400, bad.body);
  assert.match(String(bad.headers['content-type']), /json/);
  assert.equal((JSON.parse(bad.body) as { error_code: number }).error_code, 400);
  const res = await http('GET', `${consumer.path}/records?timeout=200`, {
    headers: { accept: JSON_V2 },
  });
  assert.equal(res.status, 200, res.text);
  await consumer.delete();
});

const replicas = (process.env['CONSUMER_URLS'] ?? '').split(',').filter((u) => u !== '');

test(
  'a stream of an instance the other replica owns is forwarded unchanged',
  { skip: replicas.length < 2 ? 'needs two consumer replicas (CONSUMER_URLS)' : false },
  async () => {
    const [owner, other] = replicas as [string, string];
    const topic = await createTopic(1);
    const created = await fetch(`${owner}/consumers/${uid('g')}`, {
      method: 'POST',
      headers: { 'content-type': V2 },
      body: JSON.stringify({ ...JSON_CONSUMER, 'auto.offset.reset': 'earliest' }),
    });
    assert.equal(created.status, 200);
    const { instance_id, base_uri } = (await created.json()) as {
      instance_id: string;
      base_uri: string;
    };
    const path = new URL(base_uri).pathname;
    const subscribed = await fetch(`${owner}${path}/subscription`, {
      method: 'POST',
      headers: { 'content-type': V2 },
      body: JSON.stringify({ topics: [topic] }),
    });
    assert.equal(subscribed.status, 204);
    await produceJson(topic, [{ n: 'a' }, { n: 'b' }]);

    const before = await forwardedCount(other);
    const stream = await SseClient.open(`${other}${path}/records`);
    assert.equal(stream.status, 200, stream.body);
    assert.equal(stream.headers['x-accel-buffering'], 'no');
    const first = await stream.until(2);
    assert.deepEqual(
      first.map((e) => e.id),
      [`${topic}:0:0`, `${topic}:0:1`],
    );
    // records produced while the forwarded stream is open arrive too (not buffered to the end)
    await produceJson(topic, [{ n: 'c' }]);
    const third = await stream.until(3);
    assert.equal(third[2]?.id, `${topic}:0:2`);
    assert.deepEqual(JSON.parse(third[2]?.data ?? ''), {
      topic,
      key: null,
      value: { n: 'c' },
      partition: 0,
      offset: 2,
    });
    stream.close();
    // counted when the forwarded exchange ends
    let after = await forwardedCount(other);
    for (let i = 0; i < 20 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await forwardedCount(other);
    }
    assert.ok(after > before, 'the other replica forwarded the stream');
    const still = await fetch(`${owner}${path}/subscription`, { headers: { accept: V2 } });
    assert.equal(still.status, 200, `instance ${instance_id} kept after the forwarded stream`);
    assert.equal((await fetch(`${owner}${path}`, { method: 'DELETE' })).status, 204);
  },
);

/** Requests this replica forwarded so far (every outcome). */
async function forwardedCount(replicaUrl: string): Promise<number> {
  const index = replicas.indexOf(replicaUrl);
  const metricsUrl = stack.consumerMetricsUrls[index]!;
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('kafka_gateway_forwarded_requests_total'))
      sum += Number(line.split(' ').at(-1));
  }
  return sum;
}
