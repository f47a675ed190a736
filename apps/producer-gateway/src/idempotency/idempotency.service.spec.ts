import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError, MetricsService } from '@kafka-gateway/server-kit';
import pino from 'pino';
import type { ProducerGatewayConfig } from '../config/producer.config';
import { InMemoryIdempotencyStore } from './idempotency-store';
import { type HandlerAnswer, IdempotencyService, type KeyedRequest } from './idempotency.service';

const config = {
  idempotency: { windowMs: 60_000, maxKeyLength: 16, pendingTtlMs: 2000, memoryMaxBytes: 1 << 20 },
} as unknown as ProducerGatewayConfig;

function setup(now: () => number = Date.now) {
  const store = new InMemoryIdempotencyStore(1 << 20, now);
  const metrics = new MetricsService('producer-gateway');
  const service = new IdempotencyService(store, config, pino({ level: 'silent' }), metrics);
  let produced = 0;
  const produce =
    (answer: Partial<HandlerAnswer> = {}, delayMs = 0) =>
    async (): Promise<HandlerAnswer> => {
      produced++;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return { status: 200, value: { offsets: [{ offset: produced }] }, ...answer };
    };
  const outcomes = async (): Promise<Record<string, number>> => {
    const m = await metrics.registry
      .getSingleMetric('kafka_gateway_idempotency_requests_total')!
      .get();
    return Object.fromEntries(m.values.map((v) => [String(v.labels['outcome']), v.value]));
  };
  return { store, service, produce, produced: () => produced, outcomes };
}

const request = (over: Partial<KeyedRequest> = {}): KeyedRequest => ({
  key: 'k-1',
  principal: 'alice',
  topic: 't',
  method: 'POST',
  path: '/topics/t',
  contentType: 'application/vnd.kafka.binary.v2+json',
  body: Buffer.from('{"records":[{"value":"AA=="}]}'),
  ...over,
});

const codeOf = (err: unknown): string => (err instanceof GatewayError ? err.code : String(err));

test('same key, same body: the stored answer is replayed, Kafka sees one produce', async () => {
  const s = setup();
  const first = await s.service.run(request(), s.produce());
  assert.deepEqual(first, { kind: 'fresh', value: { offsets: [{ offset: 1 }] } });
  const retry = await s.service.run(request(), s.produce());
  assert.deepEqual(retry, {
    kind: 'replayed',
    response: { status: 200, body: '{"offsets":[{"offset":1}]}' },
  });
  assert.equal(s.produced(), 1);
  assert.deepEqual(await s.outcomes(), { new: 1, replayed: 1 });
});

test('same key, different body (or path or type): 422 idempotency_key_reused', async () => {
  const s = setup();
  await s.service.run(request(), s.produce());
  for (const other of [
    { body: Buffer.from('{"records":[{"value":"AQ=="}]}') },
    { path: '/topics/t/partitions/0' },
    { contentType: 'application/vnd.kafka.json.v2+json' },
  ]) {
    await assert.rejects(s.service.run(request(other), s.produce()), (e) => {
      assert.equal(codeOf(e), 'idempotency_key_reused');
      return true;
    });
  }
  assert.equal(s.produced(), 1);
  assert.equal((await s.outcomes())['conflict'], 3);
});

test('keys are scoped per principal and topic', async () => {
  const s = setup();
  await s.service.run(request(), s.produce());
  const bob = await s.service.run(request({ principal: 'bob' }), s.produce());
  const other = await s.service.run(request({ topic: 'u', path: '/topics/t' }), s.produce());
  assert.equal(bob.kind, 'fresh');
  assert.equal(other.kind, 'fresh');
  assert.equal(s.produced(), 3);
});

test('concurrent duplicates wait for the first and get its answer: one produce', async () => {
  const s = setup();
  const results = await Promise.all([
    s.service.run(request(), s.produce({}, 100)),
    s.service.run(request(), s.produce()),
    s.service.run(request(), s.produce()),
  ]);
  assert.equal(s.produced(), 1);
  assert.equal(results[0].kind, 'fresh');
  for (const r of results.slice(1)) {
    assert.deepEqual(r, {
      kind: 'replayed',
      response: { status: 200, body: '{"offsets":[{"offset":1}]}' },
    });
  }
  assert.deepEqual(await s.outcomes(), { new: 1, waited: 2 });
});

test('a failed first request is not stored: the waiter, then a retry, produce again', async () => {
  const s = setup();
  const failing = async (): Promise<HandlerAnswer> => {
    await new Promise((r) => setTimeout(r, 50));
    throw new GatewayError('kafka_timeout', 'timed out', { retriable: true });
  };
  const [first, waiter] = await Promise.allSettled([
    s.service.run(request(), failing),
    s.service.run(request(), s.produce()),
  ]);
  assert.equal(first.status, 'rejected');
  assert.equal(waiter.status, 'fulfilled');
  assert.equal(waiter.value.kind, 'fresh', 'the waiter claimed the released key and ran');
  assert.equal(s.produced(), 1);
});

test('a non-2xx answer (403 per record) is not stored', async () => {
  const s = setup();
  await s.service.run(request(), s.produce({ status: 403 }));
  const retry = await s.service.run(request(), s.produce());
  assert.equal(retry.kind, 'fresh');
  assert.equal(s.produced(), 2);
});

test('past the window the key is free again', async () => {
  let now = 1_000_000;
  const s = setup(() => now);
  await s.service.run(request(), s.produce());
  now += 59_000;
  assert.equal((await s.service.run(request(), s.produce())).kind, 'replayed');
  now += 2000;
  assert.equal((await s.service.run(request(), s.produce())).kind, 'fresh');
  assert.equal(s.produced(), 2);
});

test('a claim whose replica died lapses after the pending TTL', async () => {
  let now = 1_000_000;
  const s = setup(() => now);
  await s.store.claim('abandoned', 'fp', 2000);
  assert.equal((await s.store.claim('abandoned', 'fp', 2000)).kind, 'pending');
  now += 2001;
  assert.equal((await s.store.claim('abandoned', 'fp', 2000)).kind, 'claimed');
});

test('an empty, too long or non-ASCII key is refused with 400 before anything runs', async () => {
  const s = setup();
  for (const key of ['', 'x'.repeat(17), 'clé', 'a\tb']) {
    await assert.rejects(s.service.run(request({ key }), s.produce()), (e) => {
      assert.equal(codeOf(e), 'idempotency_key_invalid');
      return true;
    });
  }
  assert.equal(s.produced(), 0);
});

test('the memory store drops the oldest keys past its byte bound', async () => {
  const store = new InMemoryIdempotencyStore(2000);
  for (let i = 0; i < 10; i++) {
    const c = await store.claim(`k${i}`, 'fp', 60_000);
    assert.equal(c.kind, 'claimed');
    await store.complete(`k${i}`, c.token, { status: 200, body: 'x'.repeat(400) }, 60_000);
  }
  assert.ok(store.size < 10 && store.size > 0, `bounded: ${store.size}`);
  assert.equal(await store.get('k0'), undefined, 'the oldest went first');
  assert.equal((await store.get('k9'))?.kind, 'done');
});
