import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { type SchemaRegistry, SchemaSerde } from '@kafka-gateway/codec';
import {
  Authorizer,
  Errors,
  type KafkaCaller,
  type KafkaClientFactory,
  MetricsService,
  PolicyFile,
  type Principal,
  Secret,
  toErrorResponse,
} from '@kafka-gateway/server-kit';
import pino from 'pino';
import { loadConsumerConfig } from '../config/consumer.config';
import type {
  DeadLetterPort,
  DeadLetterRecord,
  CommitOffset,
  ConsumerEvents,
  ConsumerPort,
  ConsumerSettings,
  Subscription,
  TopicPartition,
} from '../kafka/consumer-port';
import type { DeadLetterProducer } from '../kafka/dead-letter.producer';
import type { KafkaAdminService } from '../kafka/kafka-admin.service';
import type { KafkaConsumerFactory } from '../kafka/kafka-consumer.factory';
import type { LocalInstances } from '../routing/local-instances';
import type { InstanceRef } from '../routing/ownership-store';
import type { RoutingService } from '../routing/routing.service';
import { ConsumerMetrics } from './consumer-metrics';
import { ConsumerRegistryService } from './consumer-registry.service';
import { parseCreateConsumer } from './consumer-requests.parser';

/** The Kafka side of one instance: remembers whether it runs and what it committed. */
class FakePort implements ConsumerPort {
  running = false;
  stopped = false;
  readonly commits: CommitOffset[][] = [];
  readonly starts: Subscription[] = [];
  constructor(
    readonly settings: ConsumerSettings,
    readonly events: ConsumerEvents,
  ) {}
  async start(s: Subscription): Promise<void> {
    this.starts.push(s);
    this.running = true;
  }
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
  }
  isRunning(): boolean {
    return this.running;
  }
  pause(_p: readonly TopicPartition[]): void {}
  resume(_p: readonly TopicPartition[]): void {}
  seek(_tp: TopicPartition, _offset: string): void {}
  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    this.commits.push([...offsets]);
  }
}

class FakeConsumerFactory implements Pick<KafkaConsumerFactory, 'create'> {
  readonly ports: FakePort[] = [];
  /** Who each port was made for (principal propagation). */
  readonly callers: (KafkaCaller | undefined)[] = [];
  create(settings: ConsumerSettings, events: ConsumerEvents, as?: KafkaCaller): ConsumerPort {
    const port = new FakePort(settings, events);
    this.ports.push(port);
    this.callers.push(as);
    return port;
  }
}

/** Ownership as the registry sees it: claims (refused for names in `taken`) and releases. */
class FakeRouting implements Pick<RoutingService, 'claim' | 'release' | 'attach'> {
  local: LocalInstances | undefined;
  readonly claims: InstanceRef[] = [];
  readonly releases: InstanceRef[] = [];
  readonly taken = new Set<string>();
  attach(local: LocalInstances): void {
    this.local = local;
  }
  async claim(ref: InstanceRef): Promise<void> {
    if (this.taken.has(ref.instance)) throw Errors.instanceExists();
    this.claims.push(ref);
  }
  async release(ref: InstanceRef): Promise<void> {
    this.releases.push(ref);
  }
}

/** The dead-letter producer: every copy kept. */
class FakeDeadLetters implements DeadLetterPort {
  readonly sent: { topic: string; record: DeadLetterRecord; as: KafkaCaller | undefined }[] = [];
  async send(topic: string, record: DeadLetterRecord, as?: KafkaCaller): Promise<void> {
    this.sent.push({ topic, record, as });
  }
}

function setup(
  env: Record<string, string> = {},
  registryConfigured = false,
  authorizer = new Authorizer(null, pino({ enabled: false })),
  topics: readonly string[] = ['t'],
) {
  const factory = new FakeConsumerFactory();
  const routing = new FakeRouting();
  const deadLetters = new FakeDeadLetters();
  const metrics = new MetricsService('consumer-gateway');
  // creating an instance never reaches the registry: a configured one is enough
  const schemas = new SchemaSerde(registryConfigured ? ({} as SchemaRegistry) : undefined);
  const registry = new ConsumerRegistryService(
    loadConsumerConfig(env),
    pino({ enabled: false }),
    factory as unknown as KafkaConsumerFactory,
    new ConsumerMetrics(metrics),
    schemas,
    routing as unknown as RoutingService,
    { topicNames: async () => topics } as unknown as KafkaAdminService,
    authorizer,
    { countCallerClients: () => undefined } as unknown as KafkaClientFactory,
    deadLetters as unknown as DeadLetterProducer,
  );
  const create = (group: string, body: Record<string, unknown> = {}, owner?: Principal) =>
    registry.create(group, parseCreateConsumer(body), owner);
  return { registry, factory, routing, metrics, create, deadLetters };
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

/** Lets the promise chains started by a timer callback run to the end. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Fake clock for the idle sweep and auto-commit intervals (Date.now included). Node 20's mock
 * clock jumps to the end of a tick before it fires the timers due within it, so time advances in
 * steps no longer than the sweep interval, each followed by the promise chains it started.
 */
function fakeClock(t: TestContext): (ms: number) => Promise<void> {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 });
  const step = 500;
  return async (ms) => {
    for (let left = ms; left > 0; left -= step) {
      t.mock.timers.tick(Math.min(step, left));
      for (let i = 0; i < 5; i++) await settle();
    }
  };
}

test('create claims the name, holds the instance and reports it through has/list/get', async () => {
  const { registry, routing, factory, create } = setup({
    CONSUMER_REQUEST_TIMEOUT_MS: '700',
    KAFKA_CONSUMER_SESSION_TIMEOUT_MS: '12000',
  });
  assert.equal(routing.local, registry, 'the registry attached itself to routing');
  const instance = await create('g', {
    name: 'c1',
    format: 'json',
    'auto.offset.reset': 'earliest',
  });
  assert.deepEqual(routing.claims, [{ group: 'g', instance: 'c1' }]);
  assert.equal(registry.has({ group: 'g', instance: 'c1' }), true);
  assert.equal(registry.has({ group: 'other', instance: 'c1' }), false);
  assert.deepEqual(registry.list(), [{ group: 'g', instance: 'c1' }]);
  assert.equal(registry.get('g', 'c1'), instance);
  assert.deepEqual([instance.settings.format, instance.settings.requestTimeoutMs], ['json', 700]);
  await instance.subscribe({ kind: 'topics', topics: ['t'] });
  assert.deepEqual(factory.ports[0]!.settings, {
    group: 'g',
    instance: 'c1',
    fromBeginning: true,
    sessionTimeoutMs: 12000,
  });
  const unnamed = await create('g');
  assert.match(unnamed.name, /^rest-consumer-[0-9a-f-]{36}$/);
  await registry.beforeApplicationShutdown();
});

test('a name already held here is 409/40902 and the first instance stays', async () => {
  const { registry, routing, create } = setup();
  const first = await create('g', { name: 'c1' });
  assert.deepEqual(await answer(create('g', { name: 'c1' })), [409, 40902]);
  assert.equal(routing.claims.length, 1, 'no second claim');
  assert.equal(registry.get('g', 'c1'), first);
  await create('other-group', { name: 'c1' }); // the same name in another group is fine
  await registry.beforeApplicationShutdown();
});

test('past CONSUMER_MAX_INSTANCES a create is 429', async () => {
  const { registry, create } = setup({ CONSUMER_MAX_INSTANCES: '2' });
  await create('g', { name: 'a' });
  await create('g', { name: 'b' });
  assert.deepEqual(await answer(create('g', { name: 'c' })), [429, 429]);
  assert.equal(registry.list().length, 2);
  await registry.delete('g', 'a');
  await create('g', { name: 'c' });
  await registry.beforeApplicationShutdown();
});

test('a schema format without a registry is 422/42206 and nothing is claimed', async () => {
  const { registry, routing, create } = setup();
  assert.deepEqual(await answer(create('g', { name: 'c1', format: 'avro' })), [422, 42206]);
  assert.deepEqual(routing.claims, []);
  assert.deepEqual(registry.list(), []);
  const configured = setup({}, true);
  const avro = await configured.create('g', { name: 'c1', format: 'avro' });
  assert.equal(avro.settings.format, 'avro');
  await configured.registry.beforeApplicationShutdown();
});

test('a claim refused by routing (another replica owns the name) leaves nothing behind', async () => {
  const { registry, routing, metrics, create } = setup();
  routing.taken.add('c1');
  assert.deepEqual(await answer(create('g', { name: 'c1' })), [409, 40902]);
  assert.equal(registry.has({ group: 'g', instance: 'c1' }), false);
  assert.deepEqual(registry.list(), []);
  assert.deepEqual(
    await answer(Promise.resolve().then(() => registry.get('g', 'c1'))),
    [404, 40403],
  );
  assert.equal(await metrics.sample('kafka_gateway_consumer_instances'), 0);
});

test('delete releases the claim and closes the instance; afterwards it is 404/40403', async () => {
  const { registry, routing, factory, create } = setup();
  const instance = await create('g', { name: 'c1' });
  await instance.subscribe({ kind: 'topics', topics: ['t'] });
  await registry.delete('g', 'c1');
  assert.deepEqual(routing.releases, [{ group: 'g', instance: 'c1' }]);
  assert.equal(factory.ports[0]!.stopped, true, 'the consumer left its group');
  assert.equal(registry.has({ group: 'g', instance: 'c1' }), false);
  assert.deepEqual(await answer(registry.delete('g', 'c1')), [404, 40403]);
  assert.throws(
    () => registry.get('g', 'c1'),
    (e: unknown) => toErrorResponse(e).body.error_code === 40403,
  );
});

test('an instance idle past CONSUMER_INSTANCE_TIMEOUT_MS expires; one in use does not', async (t) => {
  const tick = fakeClock(t);
  const { registry, routing, factory, create } = setup({ CONSUMER_INSTANCE_TIMEOUT_MS: '1000' });
  const idle = await create('g', { name: 'idle' });
  await idle.subscribe({ kind: 'topics', topics: ['t'] });
  await create('g', { name: 'busy' });
  registry.onModuleInit();
  await tick(1500);
  registry.get('g', 'busy'); // a request touches it
  assert.deepEqual(routing.releases, [], 'nothing expires before its timeout');
  await tick(500); // t = 2000: idle since 0, busy since 1500
  assert.deepEqual(routing.releases, [{ group: 'g', instance: 'idle' }]);
  assert.equal(factory.ports[0]!.stopped, true, 'the expired consumer left its group');
  assert.deepEqual(registry.list(), [{ group: 'g', instance: 'busy' }]);
  await tick(1000); // t = 3000: busy idle for 1500 ms
  assert.deepEqual(registry.list(), []);
  assert.equal(routing.releases.length, 2);
  await registry.beforeApplicationShutdown();
});

test('auto-commit instances commit what was returned every interval', async (t) => {
  const tick = fakeClock(t);
  const { registry, factory, create } = setup();
  const instance = await create('g', { name: 'c1', 'auto.commit.enable': 'true' });
  const manual = await create('g', { name: 'c2', 'auto.commit.enable': 'false' });
  for (const i of [instance, manual]) {
    await i.subscribe({ kind: 'topics', topics: ['t'] });
    i.onAssignment([{ topic: 't', partition: 0 }]);
    void i.onBatch(
      [{ topic: 't', partition: 0, offset: '4', key: null, value: null, timestamp: '0' }],
      '5',
      () => false,
    );
    assert.equal((await i.poll(0, 1000)).length, 1);
  }
  registry.onModuleInit();
  await tick(5000);
  assert.deepEqual(factory.ports[0]!.commits, [[{ topic: 't', partition: 0, offset: '5' }]]);
  assert.deepEqual(factory.ports[1]!.commits, [], 'auto.commit.enable=false commits nothing');
  await registry.beforeApplicationShutdown();
});

test('shutdown releases every claim and closes every instance', async () => {
  const { registry, routing, factory, create } = setup();
  for (const name of ['a', 'b']) {
    const i = await create('g', { name });
    await i.subscribe({ kind: 'topics', topics: ['t'] });
  }
  await create('h', { name: 'a' });
  await registry.beforeApplicationShutdown();
  assert.deepEqual(routing.releases.map((r) => `${r.group}/${r.instance}`).sort(), [
    'g/a',
    'g/b',
    'h/a',
  ]);
  assert.deepEqual(
    factory.ports.map((p) => p.stopped),
    [true, true],
  );
  assert.deepEqual(registry.list(), []);
});

test('metrics: live instances, and records and bytes fetched by format', async () => {
  const { registry, metrics, create } = setup();
  const instance = await create('g', { name: 'c1' });
  await create('g', { name: 'c2' });
  assert.equal(await metrics.sample('kafka_gateway_consumer_instances'), 2);
  await instance.subscribe({ kind: 'topics', topics: ['t'] });
  instance.onAssignment([{ topic: 't', partition: 0 }]);
  assert.equal(await metrics.sample('kafka_gateway_consumer_rebalances_total'), 1);
  void instance.onBatch(
    [
      {
        topic: 't',
        partition: 0,
        offset: '0',
        key: Buffer.from('k'),
        value: Buffer.from('vv'),
        timestamp: '0',
      },
      {
        topic: 't',
        partition: 0,
        offset: '1',
        key: null,
        value: Buffer.from('www'),
        timestamp: '0',
      },
    ],
    '2',
    () => false,
  );
  await instance.poll(0, 1_000_000);
  const binary = { format: 'binary' };
  assert.equal(await metrics.sample('kafka_gateway_consumer_records_total', binary), 2);
  assert.equal(await metrics.sample('kafka_gateway_consumer_bytes_total', binary), 6);
  await registry.delete('g', 'c2');
  assert.equal(await metrics.sample('kafka_gateway_consumer_instances'), 1);
  await registry.beforeApplicationShutdown();
});

const PROPAGATING = {
  KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
  KAFKA_SASL_MECHANISM: 'PLAIN',
  KAFKA_SASL_USERNAME: 'gateway',
  KAFKA_SASL_PASSWORD: 'gw',
  KAFKA_PRINCIPAL_PROPAGATION: 'on',
};

test("principal propagation: the instance's consumer is made as its creator, for its whole life", async () => {
  const { create, factory, registry } = setup(PROPAGATING);
  const credential = { kind: 'password' as const, username: 'alice', password: Secret.of('pw') };
  const alice: Principal = { name: 'alice', groups: [], mechanism: 'basic', credential };
  const instance = await create('g', { name: 'c1' }, alice);
  assert.deepEqual(instance.settings.kafkaCaller, { principal: alice, credential });
  await registry.get('g', 'c1').subscribe({ kind: 'topics', topics: ['t'] });
  await registry.get('g', 'c1').subscribe({ kind: 'topics', topics: ['t'] }); // a new kafkajs consumer
  assert.ok(factory.callers.length >= 1);
  assert.ok(factory.callers.every((c) => c?.credential === credential));
});

test('principal propagation: a creator without a credential is refused 401 before anything is claimed', async () => {
  const { create, routing } = setup(PROPAGATING);
  assert.deepEqual(await answer(create('g', { name: 'c1' })), [401, 40101]);
  assert.deepEqual(routing.claims, []);
  const fallback = setup({ ...PROPAGATING, KAFKA_PROPAGATION_FALLBACK: 'gateway' });
  const instance = await fallback.create('g', { name: 'c1' });
  assert.equal(instance.settings.kafkaCaller, undefined, 'runs as the gateway');
});

const alice: Principal = { name: 'alice', groups: ['team-a'], mechanism: 'basic' };
const bob: Principal = { name: 'bob', groups: ['team-b'], mechanism: 'basic' };

test('QUOTA_CONSUMER_INSTANCES_PER_PRINCIPAL: 429 with Retry-After past the cap, per principal', async () => {
  const { registry, routing, create } = setup({
    QUOTA_CONSUMER_INSTANCES_PER_PRINCIPAL: '1',
    CONSUMER_INSTANCE_TIMEOUT_MS: '30000',
  });
  await create('g', { name: 'a1' }, alice);
  const refused = await create('g', { name: 'a2' }, alice).then(
    () => assert.fail('a second instance of alice was accepted'),
    (err: unknown) => toErrorResponse(err),
  );
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error_code, 429);
  assert.equal(refused.retryAfterSeconds, 30, 'one idle timeout');
  assert.deepEqual(
    routing.claims.map((c) => c.instance),
    ['a1'],
    'nothing claimed for the refused one',
  );
  await create('g', { name: 'b1' }, bob); // another principal has its own allowance
  await registry.delete('g', 'a1');
  await create('g', { name: 'a2' }, alice);
  assert.equal(registry.find('g', 'a2')?.owner.name, 'alice', 'the owner is kept on the instance');
  assert.equal(registry.find('g', 'a2')?.owner.credential, undefined, 'never its credential');
  await registry.beforeApplicationShutdown();
});

test('a pattern subscription covers only the topics its owner may consume', async () => {
  const text =
    'grants:\n  - principals: ["group:team-a"]\n    operations: [consume]\n    topics: ["team-a.*"]\n    groups: ["*"]\n';
  const logger = pino({ enabled: false });
  const authorizer = new Authorizer(
    new PolicyFile('policy.yaml', logger, { stamp: () => '1', read: () => text }),
    logger,
  );
  const { registry, factory, create } = setup({}, false, authorizer, [
    'team-a.orders',
    'team-b.orders',
    'team-a.audit',
  ]);
  const instance = await create('g', { name: 'p' }, alice);
  await instance.subscribe({ kind: 'pattern', pattern: /.*orders|.*audit/ });
  const started = factory.ports.flatMap((p) => p.starts);
  assert.equal(started.length, 1);
  assert.deepEqual(started[0], { kind: 'topics', topics: ['team-a.audit', 'team-a.orders'] });
  await registry.beforeApplicationShutdown();
});

test('dead-letter: the DLQ topic is required, must exist and the owner must be allowed to produce to it', async () => {
  const text =
    'grants:\n  - principals: ["alice"]\n    operations: [consume]\n    topics: ["*"]\n    groups: ["*"]\n' +
    '  - principals: ["alice"]\n    operations: [produce]\n    topics: ["dlq", "missing"]\n';
  const logger = pino({ enabled: false });
  const authorizer = new Authorizer(
    new PolicyFile('policy.yaml', logger, { stamp: () => '1', read: () => text }),
    logger,
  );
  const { registry, create, deadLetters, metrics } = setup({}, false, authorizer, [
    't',
    'dlq',
    'other',
  ]);
  const alice: Principal = { name: 'alice', groups: [], mechanism: 'basic' };
  assert.deepEqual(
    await answer(create('g', { 'poison.policy': 'dead-letter' }, alice)),
    [422, 42204],
  );
  assert.deepEqual(
    await answer(
      create('g', { 'poison.policy': 'dead-letter', 'poison.dead_letter_topic': 'other' }, alice),
    ),
    [403, 40301],
  );
  assert.deepEqual(
    await answer(
      create('g', { 'poison.policy': 'dead-letter', 'poison.dead_letter_topic': 'missing' }, alice),
    ),
    [422, 42204],
  );
  const instance = await create(
    'g',
    { 'poison.policy': 'dead-letter', 'poison.dead_letter_topic': 'dlq' },
    alice,
  );
  assert.equal(instance.settings.poisonPolicy, 'dead-letter');
  const bad = {
    topic: 't',
    partition: 2,
    offset: '7',
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    timestamp: '5',
    headers: [{ key: 'own', value: null }],
  };
  await instance.settings.deadLetter!(bad, 'why');
  assert.equal(deadLetters.sent.length, 1);
  const sent = deadLetters.sent[0]!;
  assert.equal(sent.topic, 'dlq');
  assert.deepEqual(
    sent.record.headers.map((h) => [h.key, h.value?.toString() ?? null]),
    [
      ['own', null],
      ['kafka-gateway.dlq.source-topic', 't'],
      ['kafka-gateway.dlq.source-partition', '2'],
      ['kafka-gateway.dlq.source-offset', '7'],
      ['kafka-gateway.dlq.source-timestamp', '5'],
      ['kafka-gateway.dlq.reason', 'why'],
    ],
  );
  assert.deepEqual([sent.record.key, sent.record.value], [Buffer.from('k'), Buffer.from('v')]);
  instance.settings.onPoison!('dead-letter');
  assert.equal(
    await metrics.sample('kafka_gateway_consumer_poison_records_total', { policy: 'dead-letter' }),
    1,
  );
  await registry.beforeApplicationShutdown();
});

test('the gateway-wide default policy applies when the creation names none', async () => {
  const { registry, create } = setup({ CONSUMER_POISON_POLICY: 'skip' });
  assert.equal((await create('g')).settings.poisonPolicy, 'skip');
  assert.equal((await create('g', { 'poison.policy': 'fail' })).settings.poisonPolicy, 'fail');
  await registry.beforeApplicationShutdown();
});
