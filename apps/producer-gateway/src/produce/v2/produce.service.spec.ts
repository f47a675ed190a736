import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  type RegisteredSchema,
  type SchemaRegistry,
  type SchemaType,
  SchemaSerde,
} from '@kafka-gateway/codec';
import {
  ANONYMOUS,
  Errors,
  GatewayError,
  MetricsService,
  Secret,
  TraceService,
  toErrorResponse,
} from '@kafka-gateway/server-kit';
import { loadProducerConfig } from '../../config/producer.config';
import type {
  KafkaProducerService,
  OutgoingRecord,
  ProduceCaller,
  RecordOutcome,
} from '../../kafka/kafka-producer.service';
import type { PartitionInfo, TopicMetadataService } from '../../kafka/topic-metadata.service';
import { ProduceMetrics } from '../produce-metrics';
import { ProduceOutcomes } from '../produce-outcomes';
import { ProduceService } from './produce.service';

/** Topic metadata as the service sees it: a fixed partition count per topic. */
class FakeMetadata implements Pick<
  TopicMetadataService,
  'cachedPartitions' | 'invalidate' | 'isDenied'
> {
  /** Topics that exist but the ACLs hide from the gateway. */
  readonly denied = new Set<string>();
  invalidations = 0;
  constructor(private readonly topics: Record<string, number>) {}
  async cachedPartitions(topic: string): Promise<readonly PartitionInfo[] | undefined> {
    const n = this.topics[topic];
    if (n === undefined) return undefined;
    return Array.from({ length: n }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
    }));
  }
  invalidate(): void {
    this.invalidations++;
  }
  async isDenied(topic: string): Promise<boolean> {
    return this.denied.has(topic);
  }
}

/**
 * The batching producer as the service sees it: a log end offset per partition; `refuse`
 * decides a record's failure (undefined = written).
 */
class FakeProducer implements Pick<
  KafkaProducerService,
  'isConnected' | 'choosePartition' | 'produce' | 'callerOf'
> {
  connected = true;
  /** What `callerOf` answers (principal propagation); the produce calls record what they got. */
  caller: ProduceCaller | undefined = undefined;
  readonly callers: (ProduceCaller | undefined)[] = [];
  callerOf(): ProduceCaller | undefined {
    return this.caller;
  }
  readonly sent: { topic: string; records: OutgoingRecord[] }[] = [];
  refuse: (r: OutgoingRecord) => unknown = () => undefined;
  private readonly ends = new Map<number, number>();
  isConnected(): boolean {
    return this.connected;
  }
  /** Keyless records go to partition 0; keyed ones to key length modulo the count. */
  choosePartition(
    _topic: string,
    partitions: readonly PartitionInfo[],
    key: Buffer | null,
  ): number {
    return key === null ? 0 : key.length % partitions.length;
  }
  async produce(
    topic: string,
    records: readonly OutgoingRecord[],
    caller?: ProduceCaller,
  ): Promise<RecordOutcome[]> {
    this.callers.push(caller);
    this.sent.push({ topic, records: [...records] });
    return records.map((r) => {
      const error = this.refuse(r);
      if (error !== undefined) return { error };
      const offset = this.ends.get(r.partition) ?? 0;
      this.ends.set(r.partition, offset + 1);
      return { partition: r.partition, offset };
    });
  }
  values(): string[] {
    return this.sent.flatMap((s) => s.records.map((r) => r.value?.toString() ?? 'null'));
  }
}

/** An in-memory registry that counts its calls (each stands for network I/O). */
class FakeRegistry implements SchemaRegistry {
  calls = 0;
  private readonly schemas: RegisteredSchema[] = [];
  async register(_subject: string, schemaType: SchemaType, schema: string): Promise<number> {
    this.calls++;
    const found = this.schemas.findIndex((s) => s.schema === schema);
    if (found >= 0) return found + 1;
    this.schemas.push({ id: this.schemas.length + 1, schemaType, schema, references: [] });
    return this.schemas.length;
  }
  async getById(id: number): Promise<RegisteredSchema> {
    this.calls++;
    const s = this.schemas[id - 1];
    if (s === undefined) throw new CodecError('schema_not_found', `Schema ${id} not found`);
    return s;
  }
  getVersion(): Promise<RegisteredSchema & { version: number }> {
    throw new Error('not used by v2 produce');
  }
  lookup(): Promise<{ id: number; version: number }> {
    throw new Error('not used by v2 produce');
  }
}

function setup(
  topics: Record<string, number> = { t: 3 },
  tracing = new TraceService(undefined, 'producer-gateway'),
) {
  const metadata = new FakeMetadata(topics);
  const producer = new FakeProducer();
  const registry = new FakeRegistry();
  const metrics = new MetricsService('producer-gateway');
  const outcomes = new ProduceOutcomes(
    producer as unknown as KafkaProducerService,
    metadata as unknown as TopicMetadataService,
    new ProduceMetrics(metrics),
    tracing,
  );
  const service = new ProduceService(
    metadata as unknown as TopicMetadataService,
    producer as unknown as KafkaProducerService,
    outcomes,
    new SchemaSerde(registry),
    loadProducerConfig({ HTTP_MAX_RECORDS_PER_REQUEST: '10' }),
  );
  return { service, metadata, producer, registry, metrics };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Status and Confluent error_code of a rejected call, as the error filter would answer it. */
async function answer(p: Promise<unknown>): Promise<[number, number]> {
  try {
    await p;
  } catch (err) {
    const r = toErrorResponse(err);
    return [r.status, r.body.error_code];
  }
  assert.fail('expected the call to fail');
}

const USER = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [{ name: 'name', type: 'string' }],
});

test('records are sent to their partitions and answered with their offsets', async () => {
  const { service, producer } = setup();
  const result = await service.produce(
    't',
    undefined,
    'binary',
    {
      records: [
        { value: b64('a') },
        { key: b64('kk'), value: b64('b') },
        { value: b64('c'), partition: 1 },
        { value: b64('d') },
      ],
    },
    ANONYMOUS,
  );
  assert.equal(result.status, 200);
  assert.deepEqual(result.body, {
    offsets: [
      { partition: 0, offset: 0, error_code: null, error: null },
      { partition: 2, offset: 0, error_code: null, error: null },
      { partition: 1, offset: 0, error_code: null, error: null },
      { partition: 0, offset: 1, error_code: null, error: null },
    ],
    key_schema_id: null,
    value_schema_id: null,
  });
  assert.equal(producer.sent.length, 1, 'one request, one hand-over to the batcher');
  assert.deepEqual(producer.values(), ['a', 'b', 'c', 'd'], 'base64 decoded, in input order');
  assert.equal(producer.sent[0]!.records[1]!.key?.toString(), 'kk');
});

test('a path partition sends every record there', async () => {
  const { service, producer } = setup();
  const result = await service.produce(
    't',
    2,
    'json',
    {
      records: [{ value: { n: 1 } }, { value: { n: 2 }, partition: 0 }],
    },
    ANONYMOUS,
  );
  assert.deepEqual(
    result.body.offsets.map((o) => o.partition),
    [2, 2],
  );
  assert.deepEqual(producer.values(), ['{"n":1}', '{"n":2}']);
});

test('an unknown topic is 404/40401, before any schema is registered', async () => {
  const { service, producer, registry } = setup();
  assert.deepEqual(
    await answer(
      service.produce(
        'nope',
        undefined,
        'avro',
        {
          value_schema: USER,
          records: [{ value: { name: 'x' } }],
        },
        ANONYMOUS,
      ),
    ),
    [404, 40401],
  );
  assert.equal(registry.calls, 0, 'no subject was created for a topic that does not exist');
  assert.equal(producer.sent.length, 0);
});

test('a path partition past the partition count is 404/40402 and nothing is sent', async () => {
  const { service, producer } = setup();
  assert.deepEqual(
    await answer(service.produce('t', 3, 'binary', { records: [{ value: b64('a') }] }, ANONYMOUS)),
    [404, 40402],
  );
  assert.equal(producer.sent.length, 0);
});

test('a record naming a partition out of range gets its own 40402; the others are sent', async () => {
  const { service, producer, metrics } = setup();
  const result = await service.produce(
    't',
    undefined,
    'binary',
    {
      records: [{ value: b64('a') }, { value: b64('b'), partition: 7 }, { value: b64('c') }],
    },
    ANONYMOUS,
  );
  assert.equal(result.status, 200);
  assert.deepEqual(result.body.offsets, [
    { partition: 0, offset: 0, error_code: null, error: null },
    { partition: null, offset: null, error_code: 40402, error: 'Partition 7 not found.' },
    { partition: 0, offset: 1, error_code: null, error: null },
  ]);
  assert.deepEqual(producer.values(), ['a', 'c']);
  assert.equal(await metrics.sample('kafka_gateway_errors_total', { error_code: '40402' }), 1);
});

test('Kafka not connected: 503 broker_not_available with Retry-After, nothing queued', async () => {
  const { service, producer } = setup();
  producer.connected = false;
  await assert.rejects(
    service.produce('t', undefined, 'binary', { records: [{ value: b64('a') }] }, ANONYMOUS),
    (e: unknown) =>
      e instanceof GatewayError &&
      e.code === 'broker_not_available' &&
      e.retriable &&
      e.retryAfterSeconds === 1 &&
      toErrorResponse(e).status === 503 &&
      toErrorResponse(e).body.error_code === 50302,
  );
  assert.equal(producer.sent.length, 0);
});

test('a record refused by authorization is reported 40301 and the response is 403', async () => {
  const { service, producer } = setup();
  producer.refuse = (r) =>
    r.value?.toString() === 'secret'
      ? Object.assign(new Error('Not authorized to access topics: [t]'), {
          type: 'TOPIC_AUTHORIZATION_FAILED',
        })
      : undefined;
  const result = await service.produce(
    't',
    undefined,
    'binary',
    {
      records: [{ value: b64('ok') }, { value: b64('secret') }],
    },
    ANONYMOUS,
  );
  assert.equal(result.status, 403);
  assert.deepEqual(result.body.offsets, [
    { partition: 0, offset: 0, error_code: null, error: null },
    {
      partition: null,
      offset: null,
      error_code: 40301,
      error: 'Not authorized to access topics: [t]',
    },
  ]);
});

test('UNKNOWN_TOPIC_OR_PARTITION from the broker drops the cached metadata', async () => {
  const { service, producer, metadata } = setup();
  await service.produce('t', undefined, 'binary', { records: [{ value: b64('a') }] }, ANONYMOUS);
  assert.equal(metadata.invalidations, 0, 'a success keeps the cache');
  producer.refuse = () =>
    Object.assign(new Error('This server does not host this topic-partition'), {
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  const result = await service.produce(
    't',
    undefined,
    'binary',
    {
      records: [{ value: b64('b') }, { value: b64('c') }],
    },
    ANONYMOUS,
  );
  assert.equal(metadata.invalidations, 1, 'once per request, not per record');
  assert.deepEqual(
    result.body.offsets.map((o) => o.error_code),
    [50002, 50002],
  );
});

test('keys without key_schema are 422/42201; nothing is registered or sent', async () => {
  const { service, producer, registry } = setup();
  assert.deepEqual(
    await answer(
      service.produce(
        't',
        undefined,
        'avro',
        {
          value_schema: USER,
          records: [{ key: 'k', value: { name: 'x' } }],
        },
        ANONYMOUS,
      ),
    ),
    [422, 42201],
  );
  assert.equal(registry.calls, 0);
  assert.equal(producer.sent.length, 0);
});

test('avro: the value schema is registered once and its id answered; records go out in wire format', async () => {
  const { service, producer, registry } = setup();
  const result = await service.produce(
    't',
    undefined,
    'avro',
    {
      value_schema: USER,
      records: [{ value: { name: 'ann' } }, { value: { name: 'bob' } }],
    },
    ANONYMOUS,
  );
  assert.deepEqual([result.body.key_schema_id, result.body.value_schema_id], [null, 1]);
  assert.equal(registry.calls, 1);
  const first = producer.sent[0]!.records[0]!;
  assert.equal(first.key, null);
  assert.equal(first.value?.[0], 0, 'magic byte');
  assert.equal(first.value?.readUInt32BE(1), 1, 'schema id');
});

test('metrics: acknowledged records and bytes by topic and format, failures by error_code', async () => {
  const { service, producer, metrics } = setup();
  producer.refuse = (r) =>
    r.value?.toString() === 'no'
      ? Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' })
      : undefined;
  await service.produce(
    't',
    undefined,
    'binary',
    {
      records: [{ key: b64('k'), value: b64('abc') }, { value: b64('de') }, { value: b64('no') }],
    },
    ANONYMOUS,
  );
  const labels = { topic: 't', format: 'binary', service: 'producer-gateway' };
  assert.equal(await metrics.sample('kafka_gateway_produce_records_total', labels), 2);
  assert.equal(await metrics.sample('kafka_gateway_produce_bytes_total', labels), 6);
  assert.equal(await metrics.sample('kafka_gateway_errors_total', { error_code: '40301' }), 1);
  assert.equal(
    await metrics.sample('kafka_gateway_produce_duration_seconds_count', { format: 'binary' }),
    1,
  );
  await answer(service.produce('gone', undefined, 'json', { records: [{ value: 1 }] }, ANONYMOUS));
  assert.equal(
    await metrics.sample('kafka_gateway_produce_records_total', { topic: 'gone' }),
    undefined,
    'an unknown topic never becomes a label',
  );
});

test('a topic the ACLs hide: every record 40301 and status 403, nothing registered or sent', async () => {
  const { service, metadata, producer, registry } = setup();
  metadata.denied.add('secret-topic');
  const result = await service.produce(
    'secret-topic',
    undefined,
    'avro',
    {
      value_schema: JSON.stringify({ type: 'record', name: 'R', fields: [] }),
      records: [{ value: {} }, { value: {} }],
    },
    ANONYMOUS,
  );
  assert.equal(result.status, 403);
  assert.deepEqual(
    result.body.offsets.map((o) => [o.error_code, o.offset]),
    [
      [40301, null],
      [40301, null],
    ],
  );
  assert.match(
    result.body.offsets[0]!.error ?? '',
    /Not authorized to access topics: \[secret-topic\]/,
  );
  assert.equal(producer.sent.length, 0);
  assert.equal(registry.calls, 0, 'nothing registered');
});

test('principal propagation: the records go to the producer as the caller callerOf names', async () => {
  const { service, producer } = setup();
  const alice = { name: 'alice', groups: [], mechanism: 'basic' as const };
  const caller: ProduceCaller = {
    principal: alice,
    credential: { kind: 'password', username: 'alice', password: Secret.of('pw') },
  };
  producer.caller = caller;
  const result = await service.produce(
    't',
    undefined,
    'binary',
    { records: [{ value: 'aGk=' }] },
    alice,
  );
  assert.equal(result.status, 200);
  assert.deepEqual(producer.callers, [caller]);
});

test('principal propagation: a caller callerOf refuses (401) sends nothing', async () => {
  const { service, producer } = setup();
  producer.callerOf = () => {
    throw Errors.unauthenticated();
  };
  await assert.rejects(
    service.produce('t', undefined, 'binary', { records: [{ value: 'aGk=' }] }, ANONYMOUS),
    (e: unknown) =>
      toErrorResponse(e).status === 401 && toErrorResponse(e).body.error_code === 40101,
  );
  assert.equal(producer.sent.length, 0);
});
