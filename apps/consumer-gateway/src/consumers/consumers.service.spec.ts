import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbeddedFormat } from '@kafka-gateway/codec';
import {
  ANONYMOUS,
  Authorizer,
  type Caller,
  Errors,
  GatewayError,
  MetricsService,
  PolicyFile,
  type Principal,
  toErrorResponse,
  TraceService,
} from '@kafka-gateway/server-kit';
import { loadConsumerConfig } from '../config/consumer.config';
import type { CommitOffset, TopicPartition } from '../kafka/consumer-port';
import type {
  CommittedOffset,
  KafkaAdminService,
  PartitionOffsets,
} from '../kafka/kafka-admin.service';
import type { RecordView } from './consumer-instance';
import { ConsumerMetrics } from './consumer-metrics';
import type { ConsumerRegistryService } from './consumer-registry.service';
import type { CreateConsumerRequest } from './consumer-requests.parser';
import { ConsumersService } from './consumers.service';
import pino from 'pino';

type Target = { tp: TopicPartition; offset: string };

/** Authentication off: every request is the anonymous principal, owner of every instance. */
const CALLER: Caller = { principal: ANONYMOUS };

/** The part of a consumer instance the service drives; records what it was asked. */
class FakeInstance {
  readonly seeks: Target[][] = [];
  readonly polls: [timeoutMs: number, maxBytes: number][] = [];
  commitError: Error | undefined;
  touched = 0;
  assignment: TopicPartition[] = [];
  constructor(
    readonly name: string,
    readonly settings: { format: EmbeddedFormat; requestTimeoutMs: number },
    readonly owner: Principal = ANONYMOUS,
  ) {}
  touch(): void {
    this.touched += 1;
  }
  currentAssignment(): TopicPartition[] {
    return this.assignment;
  }
  seek(targets: readonly Target[]): void {
    this.seeks.push([...targets]);
  }
  async poll(timeoutMs: number, maxBytes: number): Promise<RecordView[]> {
    this.polls.push([timeoutMs, maxBytes]);
    return [{ topic: 't', key: null, value: 'v', partition: 0, offset: 3 }];
  }
  readonly subscriptions: unknown[] = [];
  async subscribe(subscription: unknown): Promise<void> {
    this.subscriptions.push(subscription);
  }
  subscribedTopics(): string[] {
    return [];
  }
  async unsubscribe(): Promise<void> {
    this.subscriptions.push('none');
  }
  async commit(_offsets: readonly CommitOffset[] | undefined): Promise<void> {
    if (this.commitError !== undefined) throw this.commitError;
  }
}

/** The registry: instances by group and name; `create` records the parsed request. */
class FakeRegistry {
  readonly created: { group: string; request: CreateConsumerRequest }[] = [];
  readonly instances = new Map<string, FakeInstance>();
  async create(group: string, request: CreateConsumerRequest): Promise<FakeInstance> {
    this.created.push({ group, request });
    const instance = new FakeInstance(request.name ?? 'generated', {
      format: request.format,
      requestTimeoutMs: 1000,
    });
    this.instances.set(`${group}/${instance.name}`, instance);
    return instance;
  }
  find(group: string, name: string): FakeInstance | undefined {
    return this.instances.get(`${group}/${name}`);
  }
  readonly deleted: string[] = [];
  async delete(group: string, name: string): Promise<void> {
    this.deleted.push(`${group}/${name}`);
    this.instances.delete(`${group}/${name}`);
  }
}

/** Offsets of topic `t` (partitions 0 and 1) and the group's commits; counts queries. */
class FakeAdmin implements Pick<
  KafkaAdminService,
  'topicOffsets' | 'offsetsForTimestamp' | 'committedOffsets'
> {
  readonly queries: string[] = [];
  committed: CommittedOffset[] = [];
  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    this.queries.push(`offsets ${topic}`);
    return [
      { partition: 0, low: '10', high: '20' },
      { partition: 1, low: '0', high: '5' },
    ].map((o) => (topic === 't' ? o : { ...o, low: '100', high: '200' }));
  }
  async offsetsForTimestamp(
    topic: string,
    timestampMs: number,
  ): Promise<{ partition: number; offset: string }[]> {
    this.queries.push(`timestamp ${topic} ${timestampMs}`);
    return [
      { partition: 0, offset: '12' },
      { partition: 1, offset: '4' },
    ];
  }
  async committedOffsets(group: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    this.queries.push(`committed ${group} ${topics.join(',')}`);
    return this.committed;
  }
}

function setup(env: Record<string, string> = {}, authorizer?: Authorizer) {
  const registry = new FakeRegistry();
  const admin = new FakeAdmin();
  const metrics = new MetricsService('consumer-gateway');
  const config = loadConsumerConfig(env);
  const service = new ConsumersService(
    config,
    registry as unknown as ConsumerRegistryService,
    admin as unknown as KafkaAdminService,
    new ConsumerMetrics(metrics),
    new TraceService(config.tracing, 'consumer-gateway'),
    authorizer ?? new Authorizer(null, pino({ enabled: false })),
  );
  /** An instance `g/i` of the given format. */
  const instance = (format: EmbeddedFormat = 'binary', owner?: Principal): FakeInstance => {
    const i = new FakeInstance('i', { format, requestTimeoutMs: 1000 }, owner);
    registry.instances.set('g/i', i);
    return i;
  };
  return { service, registry, admin, metrics, instance };
}

/** Status and Confluent error_code of a rejected call, as the error filter answers it. */
async function answer(p: Promise<unknown>): Promise<[number, number]> {
  try {
    await p;
  } catch (err) {
    const r = toErrorResponse(err);
    return [r.status, r.body.error_code];
  }
  assert.fail('expected the call to fail');
}

test('create answers the instance id and a base_uri on the request base, path-encoded', async () => {
  const { service, registry } = setup();
  const created = await service.create(
    'my group',
    { name: 'c.1', format: 'json' },
    'http://10.1.2.3:8082',
    CALLER,
  );
  assert.deepEqual(created, {
    instance_id: 'c.1',
    base_uri: 'http://10.1.2.3:8082/consumers/my%20group/instances/c.1',
  });
  assert.equal(registry.created[0]!.group, 'my group');
  assert.equal(registry.created[0]!.request.format, 'json');
});

test('create builds base_uri on HTTP_PUBLIC_BASE_URL when one is configured', async () => {
  const { service } = setup({ HTTP_PUBLIC_BASE_URL: 'https://kafka.example.com/' });
  const created = await service.create('g', { name: 'c1' }, 'http://10.1.2.3:8082', CALLER);
  assert.equal(created.base_uri, 'https://kafka.example.com/consumers/g/instances/c1');
});

test('seek: offsets as given, timestamps resolved per partition through Kafka', async () => {
  const { service, admin, instance } = setup();
  const i = instance();
  await service.seek(
    'g',
    'i',
    {
      offsets: [{ topic: 't', partition: 0, offset: 5 }],
      timestamps: [{ topic: 't', partition: 1, timestamp: '2024-05-01T10:00:00Z' }],
    },
    CALLER,
  );
  assert.deepEqual(i.seeks, [
    [
      { tp: { topic: 't', partition: 0 }, offset: '5' },
      { tp: { topic: 't', partition: 1 }, offset: '4' },
    ],
  ]);
  assert.deepEqual(admin.queries, [`timestamp t ${Date.parse('2024-05-01T10:00:00Z')}`]);
  // a partition Kafka does not report: 404/40402 and no seek at all
  assert.deepEqual(
    await answer(
      service.seek(
        'g',
        'i',
        {
          offsets: [{ topic: 't', partition: 0, offset: 1 }],
          timestamps: [{ topic: 't', partition: 9, timestamp: 0 }],
        },
        CALLER,
      ),
    ),
    [404, 40402],
  );
  assert.equal(i.seeks.length, 1);
});

test('seek to the beginning or end: the low or high offsets, one query per topic', async () => {
  const { service, admin, instance } = setup();
  const i = instance();
  const body = {
    partitions: [
      { topic: 't', partition: 0 },
      { topic: 'u', partition: 1 },
      { topic: 't', partition: 1 },
    ],
  };
  await service.seekToEdge('g', 'i', body, 'beginning', CALLER);
  await service.seekToEdge('g', 'i', body, 'end', CALLER);
  assert.deepEqual(
    i.seeks.map((s) => s.map((t) => `${t.tp.topic}-${t.tp.partition}@${t.offset}`)),
    [
      ['t-0@10', 't-1@0', 'u-1@100'],
      ['t-0@20', 't-1@5', 'u-1@200'],
    ],
  );
  assert.deepEqual(admin.queries, ['offsets t', 'offsets u', 'offsets t', 'offsets u']);
  assert.deepEqual(
    await answer(
      service.seekToEdge('g', 'i', { partitions: [{ topic: 't', partition: 7 }] }, 'end', CALLER),
    ),
    [409, 40903],
  );
  assert.equal(i.seeks.length, 2);
});

test('records: an Accept for another format than the instance has is 406/40601; nothing polled', async () => {
  const { service, instance } = setup();
  const i = instance('json');
  await assert.rejects(
    service.records('g', 'i', 'application/vnd.kafka.binary.v2+json', undefined, undefined, CALLER),
    (e: unknown) =>
      e instanceof GatewayError &&
      e.code === 'consumer_format_mismatch' &&
      toErrorResponse(e).status === 406 &&
      toErrorResponse(e).body.error_code === 40601,
  );
  assert.equal(i.polls.length, 0);
  const ok = await service.records(
    'g',
    'i',
    'application/vnd.kafka.json.v2+json',
    undefined,
    undefined,
    CALLER,
  );
  assert.equal(ok.mediaType, 'application/vnd.kafka.json.v2+json');
  assert.equal(ok.records.length, 1);
});

test('records: a timeout or max_bytes that is not an integer is 400; nothing polled', async () => {
  const { service, instance } = setup();
  const i = instance();
  const accept = 'application/vnd.kafka.binary.v2+json';
  assert.deepEqual(
    await answer(service.records('g', 'i', accept, 'soon', undefined, CALLER)),
    [400, 400],
  );
  assert.deepEqual(
    await answer(service.records('g', 'i', accept, '1.5', undefined, CALLER)),
    [400, 400],
  );
  assert.deepEqual(
    await answer(service.records('g', 'i', accept, undefined, '1e6', CALLER)),
    [400, 400],
  );
  assert.equal(i.polls.length, 0);
});

test('records: timeout and max_bytes defaults and caps; the fetch is timed', async () => {
  const { service, instance, metrics } = setup();
  const i = instance();
  const accept = 'application/vnd.kafka.binary.v2+json';
  const cap = 64 * 1024 * 1024;
  await service.records('g', 'i', accept, undefined, undefined, CALLER);
  await service.records('g', 'i', accept, '0', '0', CALLER);
  await service.records('g', 'i', accept, '250', '1000', CALLER);
  await service.records('g', 'i', accept, '', String(cap * 2), CALLER);
  assert.deepEqual(i.polls, [
    [1000, cap],
    [1000, cap],
    [250, 1000],
    [1000, cap],
  ]);
  assert.equal(
    await metrics.sample('kafka_gateway_consumer_fetch_duration_seconds_count', {
      format: 'binary',
    }),
    4,
  );
});

test('committed offsets: only the partitions asked for; metadata defaults to ""', async () => {
  const { service, admin, instance } = setup();
  instance();
  admin.committed = [
    { topic: 't', partition: 0, offset: '7', metadata: 'm' },
    { topic: 't', partition: 1, offset: '8', metadata: null },
    { topic: 'u', partition: 0, offset: '9', metadata: null },
    { topic: 'u', partition: 1, offset: '3', metadata: null },
  ];
  const result = await service.committed(
    'g',
    'i',
    {
      partitions: [
        { topic: 't', partition: 0 },
        { topic: 'u', partition: 1 },
      ],
    },
    CALLER,
  );
  assert.deepEqual(result, {
    offsets: [
      { topic: 't', partition: 0, offset: 7, metadata: 'm' },
      { topic: 'u', partition: 1, offset: 3, metadata: '' },
    ],
  });
  assert.deepEqual(admin.queries, ['committed g t,u']);
});

test('an unknown instance is 404/40403 before Kafka is asked anything', async () => {
  const { service, admin } = setup();
  const tp = { partitions: [{ topic: 't', partition: 0 }] };
  assert.deepEqual(await answer(service.committed('g', 'nope', tp, CALLER)), [404, 40403]);
  assert.deepEqual(await answer(service.seekToEdge('g', 'nope', tp, 'end', CALLER)), [404, 40403]);
  assert.deepEqual(admin.queries, []);
});

test('a failed commit is counted and rethrown', async () => {
  const { service, instance, metrics } = setup();
  const i = instance();
  assert.deepEqual(await service.commit('g', 'i', undefined, CALLER), []);
  i.commitError = Errors.noSubscription();
  assert.deepEqual(await answer(service.commit('g', 'i', undefined, CALLER)), [409, 40903]);
  assert.equal(await metrics.sample('kafka_gateway_consumer_commit_errors_total'), 1);
});

const alice: Principal = { name: 'alice', groups: ['team-a'], mechanism: 'basic' };
const bob: Principal = { name: 'bob', groups: ['team-a'], mechanism: 'basic' };

/** A policy giving team-a consume on group g and topics t, t2; and what the audit log got. */
function policyAuthorizer(): { authorizer: Authorizer; audits: unknown[] } {
  const audits: unknown[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => audits.push(JSON.parse(line)) },
  );
  const text =
    'grants:\n  - principals: ["group:team-a"]\n    operations: [consume]\n    topics: [t, t2]\n    groups: [g]\n';
  const file = new PolicyFile('p.yaml', logger, { stamp: () => '1', read: () => text });
  return { authorizer: new Authorizer(file, logger), audits };
}

test("another principal's instance is 404/40403 on every endpoint, audited, and nothing happens", async () => {
  const { authorizer, audits } = policyAuthorizer();
  const { service, registry, admin, instance } = setup({}, authorizer);
  const i = instance('binary', alice);
  const asBob: Caller = { principal: bob, requestId: 'req-7' };
  const tp = { partitions: [{ topic: 't', partition: 0 }] };
  const accept = 'application/vnd.kafka.binary.v2+json';
  const calls: [string, () => Promise<unknown>][] = [
    ['subscribe', async () => service.subscribe('g', 'i', { topics: ['t'] }, asBob)],
    ['subscription', async () => service.subscription('g', 'i', asBob)],
    ['unsubscribe', async () => service.unsubscribe('g', 'i', asBob)],
    ['assign', async () => service.assign('g', 'i', tp, asBob)],
    ['assignments', async () => service.assignments('g', 'i', asBob)],
    [
      'seek',
      async () =>
        service.seek('g', 'i', { offsets: [{ topic: 't', partition: 0, offset: 1 }] }, asBob),
    ],
    ['seekToEdge', async () => service.seekToEdge('g', 'i', tp, 'end', asBob)],
    ['records', async () => service.records('g', 'i', accept, undefined, undefined, asBob)],
    ['commit', async () => service.commit('g', 'i', undefined, asBob)],
    ['committed', async () => service.committed('g', 'i', tp, asBob)],
    ['delete', async () => service.delete('g', 'i', asBob)],
  ];
  for (const [name, call] of calls) {
    assert.deepEqual(await answer(call()), [404, 40403], name);
  }
  // exactly what a missing instance answers
  assert.deepEqual(
    await answer(Promise.resolve().then(() => service.delete('g', 'missing', asBob))),
    [404, 40403],
  );
  assert.equal(i.touched, 0, "bob's requests do not keep alice's instance alive");
  assert.deepEqual(
    [i.subscriptions, i.seeks, i.polls, registry.deleted, admin.queries],
    [[], [], [], [], []],
  );
  assert.equal(audits.length, calls.length, 'one audit line per refused request');
  assert.deepEqual((audits[0] as { audit: unknown }).audit, {
    principal: 'bob',
    operation: 'consume',
    resource: 'instance:g/i',
    reason: 'not the instance owner',
    requestId: 'req-7',
  });
  // the owner is served
  await service.subscribe('g', 'i', { topics: ['t'] }, { principal: alice });
  assert.equal(i.subscriptions.length, 1);
});

test('topics named in a body need consume each: 403/40301 and nothing changes', async () => {
  const { authorizer, audits } = policyAuthorizer();
  const { service, admin, instance } = setup({}, authorizer);
  const i = instance('binary', alice);
  const asAlice: Caller = { principal: alice };
  const forbidden = [403, 40301];
  assert.deepEqual(
    await answer(service.subscribe('g', 'i', { topics: ['t', 'secret'] }, asAlice)),
    forbidden,
  );
  assert.deepEqual(
    await answer(
      service.assign('g', 'i', { partitions: [{ topic: 'secret', partition: 0 }] }, asAlice),
    ),
    forbidden,
  );
  assert.deepEqual(
    await answer(
      service.seek(
        'g',
        'i',
        {
          offsets: [{ topic: 't', partition: 0, offset: 1 }],
          timestamps: [{ topic: 'secret', partition: 0, timestamp: '2024-05-01T10:00:00Z' }],
        },
        asAlice,
      ),
    ),
    forbidden,
  );
  assert.deepEqual(
    await answer(
      service.seekToEdge(
        'g',
        'i',
        { partitions: [{ topic: 'secret', partition: 0 }] },
        'beginning',
        asAlice,
      ),
    ),
    forbidden,
  );
  assert.deepEqual(
    await answer(
      service.commit(
        'g',
        'i',
        { offsets: [{ topic: 'secret', partition: 0, offset: 3 }] },
        asAlice,
      ),
    ),
    forbidden,
  );
  assert.deepEqual(
    await answer(
      service.committed('g', 'i', { partitions: [{ topic: 'secret', partition: 0 }] }, asAlice),
    ),
    forbidden,
  );
  i.assignment = [{ topic: 'secret', partition: 0 }]; // a grant revoked after the assignment
  assert.deepEqual(
    await answer(
      service.records(
        'g',
        'i',
        'application/vnd.kafka.binary.v2+json',
        undefined,
        undefined,
        asAlice,
      ),
    ),
    forbidden,
  );
  assert.deepEqual([i.subscriptions, i.seeks, i.polls, admin.queries], [[], [], [], []]);
  assert.equal(audits.length, 7);
  // a pattern is accepted (it resolves among consumable topics only, see the registry)
  await service.subscribe('g', 'i', { topic_pattern: '.*' }, asAlice);
  await service.subscribe('g', 'i', { topics: ['t', 't2'] }, asAlice);
  assert.equal(i.subscriptions.length, 2);
});
