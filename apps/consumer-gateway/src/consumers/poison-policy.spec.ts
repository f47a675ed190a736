import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonBytes, SchemaSerde } from '@kafka-gateway/codec';
import { Errors, GatewayError } from '@kafka-gateway/server-kit';
import type {
  CommitOffset,
  ConsumerEvents,
  ConsumerPort,
  FetchedRecord,
  TopicPartition,
} from '../kafka/consumer-port';
import { ConsumerInstance, type InstanceSettings } from './consumer-instance';
import type { PoisonPolicy } from './consumer-requests.parser';
import { createDecoders } from './record-decoder';
import { renderRecords } from './records.renderer';

/** The poison-record policies and the opt-in record metadata of a consumer instance. */

class FakePort implements ConsumerPort {
  commits: CommitOffset[][] = [];
  constructor(readonly events: ConsumerEvents) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isRunning(): boolean {
    return true;
  }
  pause(_: readonly TopicPartition[]): void {}
  resume(_: readonly TopicPartition[]): void {}
  seek(): void {}
  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    this.commits.push([...offsets]);
  }
}

const DECODERS = createDecoders(new SchemaSerde(undefined));

async function setup(settings: Partial<InstanceSettings>): Promise<{
  instance: ConsumerInstance;
  port: () => FakePort;
  poison: PoisonPolicy[];
}> {
  let port: FakePort | undefined;
  const poison: PoisonPolicy[] = [];
  const instance = new ConsumerInstance(
    'g',
    'i',
    {
      format: 'json',
      decoder: DECODERS.json,
      autoCommit: false,
      fetchMinBytes: -1,
      requestTimeoutMs: 1000,
      maxBufferBytes: 10_000,
      listTopics: async () => ['t'],
      onPoison: (p) => poison.push(p),
      ...settings,
    },
    (events) => (port = new FakePort(events)),
  );
  await instance.subscribe({ kind: 'topics', topics: ['t'] });
  instance.onAssignment([{ topic: 't', partition: 0 }]);
  return { instance, port: () => port!, poison };
}

const record = (
  offset: number,
  value: string,
  extra: Partial<FetchedRecord> = {},
): FetchedRecord => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key: Buffer.from('"k"'),
  value: Buffer.from(value),
  timestamp: '1700000000000',
  ...extra,
});

const REASON =
  'The value of the record at t-0 offset 1 cannot be decoded as json: The value is not valid JSON';

test('skip: the poison record is an error entry with its raw bytes, then the next records follow', async () => {
  const { instance, port, poison } = await setup({ poisonPolicy: 'skip' });
  void instance.onBatch([record(0, '1'), record(1, '{nope'), record(2, '2')], '3', () => false);
  const got = await instance.poll(100, 1_000_000);
  assert.deepEqual(got, [
    {
      topic: 't',
      key: new JsonBytes(Buffer.from('"k"')),
      value: new JsonBytes(Buffer.from('1')),
      partition: 0,
      offset: 0,
    },
    {
      topic: 't',
      partition: 0,
      offset: 1,
      error: { error_code: 40801, message: REASON },
      keyRaw: Buffer.from('"k"'),
      valueRaw: Buffer.from('{nope'),
    },
    {
      topic: 't',
      key: new JsonBytes(Buffer.from('"k"')),
      value: new JsonBytes(Buffer.from('2')),
      partition: 0,
      offset: 2,
    },
  ]);
  assert.equal(
    renderRecords(got.slice(1, 2)),
    `[{"topic":"t","partition":0,"offset":1,"error":{"error_code":40801,"message":${JSON.stringify(REASON)}},"key_raw":"Imsi","value_raw":"e25vcGU="}]`,
  );
  assert.deepEqual(poison, ['skip']);
  await instance.commit(undefined);
  assert.deepEqual(port().commits, [[{ topic: 't', partition: 0, offset: '3' }]]);
});

test('fail (the default): the poison record stops the fetch with 40801 naming offset and seek', async () => {
  const { instance, poison } = await setup({});
  void instance.onBatch([record(1, '{nope')], '2', () => false);
  await assert.rejects(
    instance.poll(100, 1_000_000),
    (e: unknown) =>
      e instanceof GatewayError &&
      e.code === 'record_not_decodable' &&
      e.message ===
        `${REASON}. Seek past it: POST .../positions {"offsets":[{"topic":"t","partition":0,"offset":2}]}`,
  );
  assert.deepEqual(poison, ['fail']);
});

test('dead-letter: the poison record is copied with its reason, then the position moves past it', async () => {
  const copies: { record: FetchedRecord; reason: string }[] = [];
  const { instance, port, poison } = await setup({
    poisonPolicy: 'dead-letter',
    deadLetter: async (r, reason) => {
      copies.push({ record: r, reason });
    },
  });
  const bad = record(1, '{nope', { headers: [{ key: 'h', value: null }] });
  void instance.onBatch([record(0, '1'), bad, record(2, '2')], '3', () => false);
  // records before it are returned first; the copy happens when it is at the head
  assert.deepEqual(
    (await instance.poll(100, 1_000_000)).map((r) => r.offset),
    [0],
  );
  assert.equal(copies.length, 0);
  assert.deepEqual(
    (await instance.poll(100, 1_000_000)).map((r) => r.offset),
    [2],
  );
  assert.deepEqual(copies, [{ record: bad, reason: REASON }]);
  assert.deepEqual(poison, ['dead-letter']);
  await instance.commit(undefined);
  assert.deepEqual(port().commits, [[{ topic: 't', partition: 0, offset: '3' }]]);
});

test('dead-letter: a failed copy fails the fetch (retriable) and the record stays at the head', async () => {
  let fail = true;
  let copies = 0;
  const { instance, port } = await setup({
    poisonPolicy: 'dead-letter',
    deadLetter: async () => {
      if (fail) throw new Error('NOT_ENOUGH_REPLICAS');
      copies++;
    },
  });
  void instance.onBatch([record(1, '{nope'), record(2, '2')], '3', () => false);
  await assert.rejects(
    instance.poll(100, 1_000_000),
    (e: unknown) =>
      e instanceof GatewayError &&
      e.code === 'kafka_retriable_error' &&
      e.retriable &&
      /offset 1/.test(e.message),
  );
  await instance.commit(undefined);
  assert.deepEqual(port().commits, [], 'nothing moved past the record');
  fail = false;
  assert.deepEqual(
    (await instance.poll(100, 1_000_000)).map((r) => r.offset),
    [2],
  );
  assert.equal(copies, 1);
});

test('dead-letter: a refused copy (the owner lost produce on the DLQ) is 403 and nothing moves', async () => {
  const { instance } = await setup({
    poisonPolicy: 'dead-letter',
    deadLetter: () => Promise.reject(Errors.forbidden('produce', 'topic dlq')),
  });
  void instance.onBatch([record(1, '{nope')], '2', () => false);
  await assert.rejects(
    instance.poll(100, 1_000_000),
    (e: unknown) => e instanceof GatewayError && e.code === 'forbidden',
  );
  await assert.rejects(
    instance.poll(100, 1_000_000),
    (e: unknown) => e instanceof GatewayError && e.code === 'forbidden',
  );
});

test('a transient decode failure is not poison: every policy leaves the record at the head', async () => {
  const decoder = {
    load: () => Promise.resolve(),
    decode: () => ({
      status: 'failed' as const,
      field: 'value' as const,
      error: new GatewayError('kafka_retriable_error', 'registry unreachable'),
      poison: false,
    }),
  };
  for (const poisonPolicy of ['skip', 'dead-letter'] as const) {
    const { instance, poison } = await setup({
      poisonPolicy,
      decoder,
      deadLetter: () => Promise.reject(new Error('must not be called')),
    });
    void instance.onBatch([record(0, '1')], '1', () => false);
    await assert.rejects(instance.poll(100, 1_000_000), /registry unreachable/);
    assert.deepEqual(poison, []);
  }
});

test('record.metadata adds headers (null kept) and timestamps; a fetch can ask for them too', async () => {
  const headers = [
    { key: 'a', value: Buffer.from('x') },
    { key: 'b', value: null },
  ];
  const { instance } = await setup({ recordMetadata: { headers: true, timestamp: true } });
  void instance.onBatch(
    [record(0, '1', { headers, timestampType: 'LogAppendTime' }), record(1, '2')],
    '2',
    () => false,
  );
  assert.equal(
    renderRecords(await instance.poll(100, 1_000_000)),
    '[{"topic":"t","key":"k","value":1,"partition":0,"offset":0,' +
      '"headers":[{"key":"a","value":"eA=="},{"key":"b","value":null}],' +
      '"timestamp":1700000000000,"timestamp_type":"LogAppendTime"},' +
      '{"topic":"t","key":"k","value":2,"partition":0,"offset":1,"headers":[],' +
      '"timestamp":1700000000000,"timestamp_type":"CreateTime"}]',
  );

  const plain = await setup({});
  void plain.instance.onBatch([record(0, '1', { headers })], '1', () => false);
  void plain.instance.onBatch([record(1, '2', { headers })], '2', () => false);
  assert.equal(
    renderRecords(await plain.instance.poll(100, 1, undefined)),
    '[{"topic":"t","key":"k","value":1,"partition":0,"offset":0}]',
    'without the opt-in: exactly the Confluent shape',
  );
  assert.equal(
    renderRecords(
      await plain.instance.poll(100, 1, undefined, { headers: false, timestamp: true }),
    ),
    '[{"topic":"t","key":"k","value":2,"partition":0,"offset":1,"timestamp":1700000000000,"timestamp_type":"CreateTime"}]',
  );
});
