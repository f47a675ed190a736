import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import type {
  CommitOffset,
  ConsumerEvents,
  ConsumerPort,
  FetchedRecord,
  Subscription,
  TopicPartition,
} from '../kafka/consumer-port';
import { ConsumerInstance, type InstanceSettings } from './consumer-instance';
import { JsonBytes, SchemaSerde } from '@kafka-gateway/codec';
import { createDecoders } from './record-decoder';

class FakePort implements ConsumerPort {
  running = false;
  paused: TopicPartition[] = [];
  resumed: TopicPartition[] = [];
  seeks: { tp: TopicPartition; offset: string }[] = [];
  commits: CommitOffset[][] = [];
  started: Subscription | undefined;
  constructor(readonly events: ConsumerEvents) {}
  async start(s: Subscription): Promise<void> {
    this.started = s;
    if (s.kind === 'topics' && s.topics.includes('refused')) {
      throw new GatewayError(
        'unknown_topic_or_partition',
        'This server does not host this topic-partition.',
      );
    }
    this.running = true;
  }
  async stop(): Promise<void> {
    this.running = false;
  }
  isRunning(): boolean {
    return this.running;
  }
  pause(p: readonly TopicPartition[]): void {
    this.paused.push(...p);
  }
  resume(p: readonly TopicPartition[]): void {
    this.resumed.push(...p);
  }
  seek(tp: TopicPartition, offset: string): void {
    this.seeks.push({ tp, offset });
  }
  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    this.commits.push([...offsets]);
  }
}

const DECODERS = createDecoders(new SchemaSerde(undefined));

const SETTINGS: InstanceSettings = {
  format: 'binary',
  decoder: DECODERS.binary,
  autoCommit: false,
  fetchMinBytes: -1,
  requestTimeoutMs: 1000,
  maxBufferBytes: 100,
  listTopics: async () => ['t', 'u', 'refused'],
};

async function setup(
  settings: Partial<InstanceSettings> = {},
): Promise<{ instance: ConsumerInstance; port: () => FakePort }> {
  let port: FakePort | undefined;
  const instance = new ConsumerInstance(
    'g',
    'i',
    { ...SETTINGS, decoder: DECODERS[settings.format ?? 'binary'], ...settings },
    (events) => (port = new FakePort(events)),
  );
  await instance.subscribe({ kind: 'topics', topics: ['t'] });
  instance.onAssignment([
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
  ]);
  return { instance, port: () => port! };
}

function records(partition: number, from: number, n: number, size = 10): FetchedRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    topic: 't',
    partition,
    offset: String(from + i),
    key: null,
    value: Buffer.alloc(size, 97),
    timestamp: '0',
  }));
}

test('a fetch returns buffered records at once and waits for new ones', async () => {
  const { instance } = await setup();
  void instance.onBatch(records(0, 0, 2), '2', () => false);
  const got = await instance.poll(1000, 1_000_000);
  assert.deepEqual(
    got.map((r) => r.offset),
    [0, 1],
  );
  const started = Date.now();
  const waiting = instance.poll(2000, 1_000_000);
  setTimeout(() => void instance.onBatch(records(1, 5, 1), '6', () => false), 50);
  const later = await waiting;
  assert.deepEqual(
    later.map((r) => [r.partition, r.offset]),
    [[1, 5]],
  );
  assert.ok(Date.now() - started < 1000, 'returned when the record arrived');
  const t = Date.now();
  assert.deepEqual(await instance.poll(300, 1_000_000), []);
  assert.ok(Date.now() - t >= 250, 'an empty fetch waits its timeout');
});

test('max_bytes bounds a fetch (at least one record is always returned)', async () => {
  const { instance } = await setup({ maxBufferBytes: 10_000 });
  void instance.onBatch(records(0, 0, 5, 40), '5', () => false);
  assert.equal((await instance.poll(100, 100)).length, 2);
  assert.equal((await instance.poll(100, 1)).length, 1);
  assert.equal((await instance.poll(100, 1_000_000)).length, 2);
});

test('fetch.min.bytes: waits for that many bytes, or for a full buffer when its bound is smaller', async () => {
  const { instance } = await setup({ fetchMinBytes: 100, maxBufferBytes: 10_000 });
  void instance.onBatch(records(0, 0, 5, 10), '5', () => false);
  const waiting = instance.poll(2000, 1_000_000);
  setTimeout(() => void instance.onBatch(records(0, 5, 5, 10), '10', () => false), 50);
  const started = Date.now();
  assert.equal((await waiting).length, 10, 'returned once 100 bytes were buffered');
  assert.ok(Date.now() - started < 1000);
  const big = await setup({ fetchMinBytes: 1_000_000, maxBufferBytes: 100 });
  void big.instance.onBatch(records(0, 0, 12, 10), '12', () => false);
  const t = Date.now();
  assert.equal((await big.instance.poll(2000, 1_000_000)).length, 12);
  assert.ok(Date.now() - t < 1000, 'a full buffer does not wait for bytes that cannot come');
});

test('an over-full buffer pauses the partition and resumes it once drained', async () => {
  const { instance, port } = await setup({ maxBufferBytes: 50 });
  void instance.onBatch(records(0, 0, 10), '10', () => false);
  assert.deepEqual(port().paused, [{ topic: 't', partition: 0 }]);
  await instance.poll(100, 1_000_000);
  assert.deepEqual(port().resumed, [{ topic: 't', partition: 0 }]);
});

test('commit without a body covers exactly what was returned', async () => {
  const { instance, port } = await setup({ maxBufferBytes: 10_000 });
  void instance.onBatch(records(0, 0, 3, 40), '3', () => false);
  void instance.onBatch(records(1, 7, 1), '8', () => false);
  await instance.poll(100, 80); // returns offsets 0 and 1 of partition 0 only
  await instance.commit(undefined);
  assert.deepEqual(port().commits, [[{ topic: 't', partition: 0, offset: '2' }]]);
  assert.equal(
    instance.lag(),
    1,
    'partition 0: high watermark 3, next offset 2; partition 1 has no position yet',
  );
});

test('max_bytes splits batches anywhere; positions and counts follow each record taken', async () => {
  const { instance, port } = await setup({ maxBufferBytes: 10_000 });
  void instance.onBatch(records(0, 0, 3, 40), '3', () => false);
  void instance.onBatch(records(1, 10, 2, 40), '12', () => false);
  void instance.onBatch(records(0, 3, 2, 40), '5', () => false);
  assert.equal(instance.bufferedRecords(), 7);
  assert.equal(instance.bufferedByteCount(), 280);
  // 2 of the first batch, then the rest of it with the next batch, then across two batches
  const a = await instance.poll(100, 80);
  const b = await instance.poll(100, 120);
  assert.deepEqual(
    [a, b].map((got) => got.map((r) => `${r.partition}:${r.offset}`)),
    [
      ['0:0', '0:1'],
      ['0:2', '1:10', '1:11'],
    ],
  );
  assert.equal(instance.bufferedRecords(), 2);
  assert.equal(instance.bufferedByteCount(), 80);
  await instance.commit(undefined);
  assert.deepEqual(port().commits.at(-1), [
    { topic: 't', partition: 0, offset: '3' },
    { topic: 't', partition: 1, offset: '12' },
  ]);
  const c = await instance.poll(100, 1_000_000);
  assert.deepEqual(
    c.map((r) => r.offset),
    [3, 4],
  );
  assert.equal(instance.bufferedRecords(), 0);
  assert.equal(instance.bufferedByteCount(), 0);
  await instance.commit(undefined);
  assert.deepEqual(port().commits.at(-1), [
    { topic: 't', partition: 0, offset: '5' },
    { topic: 't', partition: 1, offset: '12' },
  ]);
});

test('a seek drops only that partition, also from a batch already partly taken', async () => {
  const { instance } = await setup({ maxBufferBytes: 10_000 });
  void instance.onBatch(records(0, 0, 4, 10), '4', () => false);
  void instance.onBatch(records(1, 0, 2, 10), '2', () => false);
  assert.equal((await instance.poll(100, 10)).length, 1); // 0:0; 0:1..3 stay buffered
  instance.seek([{ tp: { topic: 't', partition: 0 }, offset: '0' }]);
  assert.equal(instance.bufferedRecords(), 2);
  assert.equal(instance.bufferedByteCount(), 20);
  assert.deepEqual(
    (await instance.poll(100, 1_000_000)).map((r) => `${r.partition}:${r.offset}`),
    ['1:0', '1:1'],
  );
});

test('back-pressure: a delivery over the bound waits until a fetch made room', async () => {
  const { instance, port } = await setup({ maxBufferBytes: 50 });
  assert.equal(
    instance.onBatch(records(0, 0, 4), '4', () => false),
    undefined,
    'under the bound',
  );
  let settled = false;
  const waiting = instance.onBatch(records(1, 0, 4), '4', () => false);
  assert.ok(waiting instanceof Promise, 'over the bound: kafkajs waits before fetching again');
  void waiting.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false);
  assert.deepEqual(port().paused, [{ topic: 't', partition: 1 }]);
  await instance.poll(100, 1_000_000); // takes everything: room again
  await waiting;
  assert.deepEqual(port().resumed, [{ topic: 't', partition: 1 }]);
  // a rebalance drops the buffer: the delivery waiting for room goes on at once
  void instance.onBatch(records(0, 4, 6), '10', () => false);
  const dropped = instance.onBatch(records(1, 4, 1), '5', () => false);
  assert.ok(dropped instanceof Promise);
  instance.onAssignment([{ topic: 't', partition: 0 }]);
  await dropped;
});

test('back-pressure: a delivery waiting for room does not hold an unsubscribe', async () => {
  const { instance, port } = await setup({ maxBufferBytes: 50 });
  const waiting = instance.onBatch(records(0, 0, 10), '10', () => false);
  assert.ok(waiting instanceof Promise);
  // like kafkajs: the consumer stops only once its current delivery returned
  port().stop = async () => {
    await waiting;
  };
  const started = Date.now();
  await instance.unsubscribe();
  await waiting;
  assert.ok(Date.now() - started < 500, 'released when the consumer stopped');
  assert.equal(instance.bufferedRecords(), 0);
});

test('back-pressure gives up after a while for a client that does not fetch', async () => {
  const { instance, port } = await setup({ maxBufferBytes: 50 });
  const started = Date.now();
  await instance.onBatch(records(0, 0, 10), '10', () => false);
  assert.ok(Date.now() - started >= 900, 'waited for room first');
  assert.deepEqual(port().paused, [{ topic: 't', partition: 0 }], 'the partition stays paused');
  assert.deepEqual(port().resumed, []);
});

test('a rebalance drops buffered records and forgets revoked positions', async () => {
  const { instance, port } = await setup();
  void instance.onBatch(records(0, 0, 2), '2', () => false);
  await instance.poll(100, 1_000_000);
  void instance.onBatch(records(1, 0, 2), '2', () => false);
  instance.onAssignment([{ topic: 't', partition: 1 }]);
  assert.equal(instance.bufferedRecords(), 0);
  await instance.commit(undefined);
  assert.deepEqual(port().commits, [], 'partition 0 was revoked: its position is not committed');
  void instance.onBatch(records(1, 0, 1), '1', () => true);
  assert.equal(instance.bufferedRecords(), 0, 'stale batches are ignored');
});

test("seek drops that partition's buffer; unassigned partitions answer 40903", async () => {
  const { instance, port } = await setup();
  void instance.onBatch(records(0, 0, 3), '3', () => false);
  void instance.onBatch(records(1, 0, 1), '1', () => false);
  instance.seek([{ tp: { topic: 't', partition: 0 }, offset: '1' }]);
  assert.deepEqual(port().seeks, [{ tp: { topic: 't', partition: 0 }, offset: '1' }]);
  assert.deepEqual(
    (await instance.poll(100, 1_000_000)).map((r) => r.partition),
    [1],
  );
  assert.throws(
    () => instance.seek([{ tp: { topic: 't', partition: 9 }, offset: '0' }]),
    (e: unknown) => e instanceof GatewayError && e.code === 'illegal_consumer_state',
  );
});

test('subscribe and assign are mutually exclusive (40903)', async () => {
  const { instance } = await setup();
  await assert.rejects(
    instance.subscribe({ kind: 'assign', partitions: [{ topic: 't', partition: 0 }] }),
    (e: unknown) => e instanceof GatewayError && e.code === 'illegal_consumer_state',
  );
});

test('json: records before a poison record are returned; then the poison record fails with its position', async () => {
  const { instance } = await setup({ format: 'json', maxBufferBytes: 10_000 });
  const good = {
    topic: 't',
    partition: 0,
    offset: '0',
    key: null,
    value: Buffer.from('{"a":1}'),
    timestamp: '0',
  };
  const bad = { ...good, offset: '1', value: Buffer.from('{nope') };
  void instance.onBatch([good, bad], '2', () => false);
  assert.deepEqual(await instance.poll(100, 1_000_000), [
    {
      topic: 't',
      key: null,
      value: new JsonBytes(Buffer.from('{"a":1}')),
      partition: 0,
      offset: 0,
    },
  ]);
  await assert.rejects(
    instance.poll(100, 1_000_000),
    (e: unknown) =>
      e instanceof GatewayError && e.code === 'record_not_decodable' && /offset 1/.test(e.message),
  );
  // still at the head until the client seeks past it
  await assert.rejects(
    instance.poll(100, 1_000_000),
    (e: unknown) => e instanceof GatewayError && e.code === 'record_not_decodable',
  );
  instance.seek([{ tp: { topic: 't', partition: 0 }, offset: '2' }]);
  assert.deepEqual(await instance.poll(50, 1_000_000), []);
});

test('a refused subscription leaves no subscription behind', async () => {
  const { instance } = await setup();
  assert.deepEqual(instance.subscribedTopics(), ['t']);
  await assert.rejects(
    instance.subscribe({ kind: 'topics', topics: ['refused'] }),
    (e: unknown) => e instanceof GatewayError && e.code === 'unknown_topic_or_partition',
  );
  assert.deepEqual(instance.subscribedTopics(), []);
  // and the instance can be assigned or subscribed again afterwards
  await instance.subscribe({ kind: 'assign', partitions: [{ topic: 't', partition: 0 }] });
  assert.deepEqual(instance.currentAssignment(), [{ topic: 't', partition: 0 }]);
});

/** An instance whose every Kafka consumer is kept, with the topics that exist now. */
function following(topics: string[]): { instance: ConsumerInstance; ports: FakePort[] } {
  const ports: FakePort[] = [];
  const instance = new ConsumerInstance(
    'g',
    'i',
    { ...SETTINGS, listTopics: async () => topics },
    (events) => {
      const port = new FakePort(events);
      ports.push(port);
      return port;
    },
  );
  return { instance, ports };
}

const exclusive = (e: unknown): boolean =>
  e instanceof GatewayError &&
  e.code === 'illegal_consumer_state' &&
  /mutually exclusive/.test(e.message);

test('topics and a pattern are mutually exclusive (40903); the same kind replaces', async () => {
  const { instance, ports } = following(['a', 'b', 'p-1']);
  await instance.subscribe({ kind: 'topics', topics: ['a'] });
  await assert.rejects(instance.subscribe({ kind: 'pattern', pattern: /^p-.*$/ }), exclusive);
  await instance.subscribe({ kind: 'topics', topics: ['b'] });
  assert.deepEqual(instance.subscribedTopics(), ['b']);
  assert.deepEqual(ports[1]?.started, { kind: 'topics', topics: ['b'] });
  await instance.unsubscribe();
  await instance.subscribe({ kind: 'pattern', pattern: /^p-.*$/ });
  await assert.rejects(instance.subscribe({ kind: 'topics', topics: ['a'] }), exclusive);
  await assert.rejects(
    instance.subscribe({ kind: 'assign', partitions: [{ topic: 'a', partition: 0 }] }),
    exclusive,
  );
  assert.deepEqual(ports[2]?.started, { kind: 'topics', topics: ['p-1'] });
  assert.equal(ports.length, 3, 'refused changes start no consumer');
});

test('a topic that does not exist yet is accepted; its consumer starts once the topic exists', async () => {
  const { instance, ports } = following(['t']);
  await instance.subscribe({ kind: 'topics', topics: ['later', 't'] });
  assert.deepEqual(instance.subscribedTopics(), ['later', 't']);
  assert.deepEqual(ports[0]?.started, { kind: 'topics', topics: ['t'] });
  await instance.refreshTopics(['t']);
  assert.equal(ports.length, 1, 'an unchanged set restarts nothing');
  await instance.refreshTopics(['later', 't', 'x']);
  assert.equal(ports[0]?.running, false, 'the old consumer left the group');
  assert.deepEqual(ports[1]?.started, { kind: 'topics', topics: ['later', 't'] });

  const none = following([]);
  await none.instance.subscribe({ kind: 'topics', topics: ['later'] });
  assert.equal(none.ports.length, 0, 'no consumer while no subscribed topic exists');
  assert.deepEqual(await none.instance.poll(50, 1_000_000), []);
  await none.instance.commit(undefined); // nothing returned yet: nothing to commit
  await none.instance.refreshTopics(['later']);
  assert.deepEqual(none.ports[0]?.started, { kind: 'topics', topics: ['later'] });
});

test('a pattern picks up matching topics created later with a clean restart', async () => {
  const { instance, ports } = following(['p-1', 'q']);
  await instance.subscribe({ kind: 'pattern', pattern: /^p-.*$/ });
  assert.deepEqual(ports[0]?.started, { kind: 'topics', topics: ['p-1'] });
  instance.onAssignment([{ topic: 'p-1', partition: 0 }]);
  void instance.onBatch(
    [{ topic: 'p-1', partition: 0, offset: '0', key: null, value: null, timestamp: '0' }],
    '1',
    () => false,
  );
  await instance.refreshTopics(['p-1', 'p-2', 'q', 'r']);
  assert.deepEqual(ports[1]?.started, { kind: 'topics', topics: ['p-1', 'p-2'] });
  assert.equal(instance.bufferedRecords(), 0, 'a restart drops what the old member buffered');
  await instance.refreshTopics(['q']);
  assert.equal(ports.length, 2, 'no match left: no consumer');
  await instance.refreshTopics(['q']);
  assert.equal(ports.length, 2);
  assert.equal(instance.followsTopics(), true);
  await instance.close();
  await instance.refreshTopics(['p-3']);
  assert.equal(ports.length, 2, 'a closed instance starts nothing');
});

test('a failed restart on new topics keeps the subscription; the next refresh retries', async () => {
  const { instance, ports } = following(['t']);
  await instance.subscribe({ kind: 'topics', topics: ['t', 'refused'] });
  await assert.rejects(instance.refreshTopics(['t', 'refused']));
  assert.deepEqual(instance.subscribedTopics(), ['t', 'refused']);
  await instance.refreshTopics(['t']);
  assert.deepEqual(ports.at(-1)?.started, { kind: 'topics', topics: ['t'] });
  assert.equal(ports.at(-1)?.running, true);
});
