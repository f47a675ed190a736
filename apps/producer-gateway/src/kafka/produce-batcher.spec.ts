import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import {
  type PartitionAck,
  ProduceBatcher,
  type RecordOutcome,
  type TopicMessages,
} from './produce-batcher';

/** A fake broker: keeps a log end offset per topic-partition, records every send. */
function fakeBroker(
  options: { failWhen?: (batch: TopicMessages[]) => boolean; delayMs?: number } = {},
) {
  const ends = new Map<string, number>();
  const sends: TopicMessages[][] = [];
  let release: (() => void) | undefined;
  const send = async (batch: TopicMessages[]): Promise<PartitionAck[]> => {
    sends.push(batch);
    if (options.delayMs !== undefined) await new Promise((r) => setTimeout(r, options.delayMs));
    if (options.failWhen?.(batch)) throw new Error('broker says no');
    const acks: PartitionAck[] = [];
    for (const tm of batch) {
      const counts = new Map<number, number>();
      for (const m of tm.messages) counts.set(m.partition, (counts.get(m.partition) ?? 0) + 1);
      for (const [partition, n] of counts) {
        const k = `${tm.topic}/${partition}`;
        const base = ends.get(k) ?? 0;
        ends.set(k, base + n);
        acks.push({ topicName: tm.topic, partition, baseOffset: String(base) });
      }
    }
    return acks;
  };
  return { send, sends, release };
}

const OPTS = {
  lingerMs: 0,
  maxBatchRecords: 10_000,
  maxBatchBytes: 1_000_000,
  maxQueuedBytes: 10_000_000,
};
const rec = (partition: number, value = 'v') => ({
  partition,
  key: null,
  value: Buffer.from(value),
});
const offsets = (o: RecordOutcome[]) =>
  o.map((x) => ('error' in x ? 'error' : `${x.partition}:${x.offset}`));

test('concurrent requests coalesce into one send and each gets its own exact offsets', async () => {
  const broker = fakeBroker();
  const batches: number[] = [];
  const b = new ProduceBatcher(broker.send, OPTS, (n) => batches.push(n));
  const subs = Array.from({ length: 200 }, (_, i) => b.submit('t', [rec(i % 2)]));
  const results = await Promise.all(subs.map((s) => s.outcomes));
  assert.equal(broker.sends.length, 1);
  assert.deepEqual(batches, [200]);
  // request i is the (i / 2)-th record of partition i % 2
  results.forEach((r, i) => assert.deepEqual(offsets(r), [`${i % 2}:${Math.floor(i / 2)}`]));
});

test('records arriving while a send is in flight form the next batch', async () => {
  const broker = fakeBroker({ delayMs: 20 });
  const batches: number[] = [];
  const b = new ProduceBatcher(broker.send, OPTS, (n) => batches.push(n));
  const first = b.submit('t', [rec(0)]);
  // wait for the first batch to be in flight (a fixed sleep raced on a loaded machine)
  while (broker.sends.length === 0) await new Promise((r) => setImmediate(r));
  const later = Array.from({ length: 30 }, () => b.submit('t', [rec(0), rec(0)]));
  const all = await Promise.all([first.outcomes, ...later.map((s) => s.outcomes)]);
  assert.deepEqual(batches, [1, 60]);
  assert.deepEqual(offsets(all[0]), ['0:0']);
  assert.deepEqual(offsets(all[1]!), ['0:1', '0:2']);
  assert.deepEqual(offsets(all[30]!), ['0:59', '0:60']);
});

test('a failed send fails only its own records', async () => {
  const broker = fakeBroker({
    delayMs: 5,
    failWhen: (batch) => batch.some((tm) => tm.topic === 'bad'),
  });
  const b = new ProduceBatcher(broker.send, OPTS);
  const good1 = b.submit('good', [rec(0)]);
  await new Promise((r) => setTimeout(r, 1));
  const bad = b.submit('bad', [rec(0)]);
  const good2Before = await good1.outcomes;
  const badOut = await bad.outcomes;
  const good3 = await b.submit('good', [rec(0)]).outcomes;
  assert.deepEqual(offsets(good2Before), ['0:0']);
  assert.deepEqual(offsets(badOut), ['error']);
  assert.deepEqual(offsets(good3), ['0:1']);
});

test('a request larger than one batch is split, in order, with consecutive offsets', async () => {
  const broker = fakeBroker();
  const b = new ProduceBatcher(broker.send, { ...OPTS, maxBatchBytes: 250 });
  const records = Array.from({ length: 10 }, (_, i) => rec(0, 'x'.repeat(50 + i)));
  const out = await b.submit('t', records).outcomes;
  assert.ok(broker.sends.length > 1, `expected several sends, got ${broker.sends.length}`);
  assert.deepEqual(
    offsets(out),
    records.map((_, i) => `0:${i}`),
  );
  const sentValues = broker.sends.flatMap((batch) =>
    batch.flatMap((tm) => tm.messages.map((m) => m.value?.length)),
  );
  assert.deepEqual(
    sentValues,
    records.map((r) => r.value.length),
  );
});

test('too many pending bytes answers overloaded (429) without queuing', async () => {
  const broker = fakeBroker({ delayMs: 20 });
  const b = new ProduceBatcher(broker.send, { ...OPTS, maxQueuedBytes: 500 });
  const first = b.submit('t', [rec(0, 'x'.repeat(400))]);
  assert.throws(
    () => b.submit('t', [rec(0, 'y'.repeat(400))]),
    (e: unknown) =>
      e instanceof GatewayError && e.code === 'overloaded' && e.retryAfterSeconds === 1,
  );
  await first.outcomes;
  assert.equal(b.pendingBytes(), 0);
  assert.equal(broker.sends.flat().length, 1);
});

test('cancel withdraws queued records so they are never sent', async () => {
  const broker = fakeBroker({ delayMs: 20 });
  const b = new ProduceBatcher(broker.send, OPTS);
  const first = b.submit('t', [rec(0)]);
  await new Promise((r) => setTimeout(r, 5));
  const second = b.submit('t', [rec(0), rec(0)]);
  second.cancel(new Error('timed out'));
  assert.deepEqual(offsets(await second.outcomes), ['error', 'error']);
  await first.outcomes;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(broker.sends.length, 1, 'the cancelled records were not sent');
  assert.equal(b.pendingBytes(), 0);
});
