import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANONYMOUS,
  CallerClientCache,
  type CallerClient,
  type CallerCredential,
  GatewayError,
  type KafkaClientFactory,
  MetricsService,
  type Principal,
  ReadinessService,
  Secret,
  toErrorResponse,
  toRecordError,
} from '@kafka-gateway/server-kit';
import { KafkaJSSASLAuthenticationError } from 'kafkajs';
import pino from 'pino';
import { loadProducerConfig } from '../config/producer.config';
import { KafkaProducerService } from './kafka-producer.service';
import type { TopicMetadataService } from './topic-metadata.service';

/** A kafkajs producer stand-in: `behaviour` decides how connect and sendBatch answer. */
class FakeProducer {
  readonly events = { CONNECT: 'connect', DISCONNECT: 'disconnect' };
  readonly sent: string[] = [];
  disconnected = false;
  constructor(
    readonly credential: CallerCredential | undefined,
    private readonly behaviour: Behaviour,
  ) {}
  readonly listeners = new Map<string, () => void>();
  on(event: string, listener: () => void): void {
    this.listeners.set(event, listener);
  }
  async connect(): Promise<void> {
    // kafkajs' order: the CONNECT event first, the idempotent InitProducerId after it
    this.listeners.get(this.events.CONNECT)?.();
    await this.behaviour.connect(this.credential);
  }
  disconnect(): Promise<void> {
    this.disconnected = true;
    return Promise.resolve();
  }
  sendBatch(b: {
    topicMessages: { topic: string; messages: unknown[] }[];
  }): Promise<{ topicName: string; partition: number; baseOffset: string }[]> {
    const topic = b.topicMessages[0]!.topic;
    const refusal = this.behaviour.send(this.credential, topic);
    if (refusal !== undefined) return Promise.reject(refusal);
    this.sent.push(topic);
    return Promise.resolve([{ topicName: topic, partition: 0, baseOffset: '0' }]);
  }
}

interface Behaviour {
  connect(c: CallerCredential | undefined): Promise<void>;
  send(c: CallerCredential | undefined, topic: string): Error | undefined;
}

const denied = () =>
  Object.assign(new Error('Not authorized to access topics: [t]'), {
    type: 'TOPIC_AUTHORIZATION_FAILED',
  });
const saslRefused = (): Error => {
  const e = new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)(
    'SASL SCRAM SHA512 authentication failed',
  );
  return e;
};
const user = (c: CallerCredential | undefined) => (c?.kind === 'password' ? c.username : 'gateway');

function setup(env: Record<string, string> = {}, behaviour?: Partial<Behaviour>) {
  const config = loadProducerConfig({
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: 'gateway',
    KAFKA_SASL_PASSWORD: 'gw-secret',
    KAFKA_PRINCIPAL_PROPAGATION: 'on',
    ...env,
  });
  const b: Behaviour = {
    connect: () => Promise.resolve(),
    // mallory may not write anywhere
    send: (c) => (user(c) === 'mallory' ? denied() : undefined),
    ...behaviour,
  };
  const made: FakeProducer[] = [];
  const factory = {
    producer: (as?: CallerCredential) => {
      const p = new FakeProducer(as, b);
      made.push(p);
      return p;
    },
    callerClients: <C extends CallerClient>(_kind: string, create: (c: CallerCredential) => C) =>
      new CallerClientCache(create, { maxClients: 10, idleMs: 60_000 }),
  };
  const metadata = { onRefresh: () => undefined, onTopicDeleted: () => undefined };
  const service = new KafkaProducerService(
    factory as unknown as KafkaClientFactory,
    config,
    pino({ level: 'silent' }),
    new ReadinessService(),
    metadata as unknown as TopicMetadataService,
    new MetricsService('producer-gateway'),
  );
  const shared = made[0]!;
  const as = (name: string, password = 'pw'): Principal => ({
    name,
    groups: [],
    mechanism: 'basic',
    credential: { kind: 'password', username: name, password: Secret.of(password) },
  });
  const produce = (p: Principal, topic = 't') =>
    service.produce(
      topic,
      [{ partition: 0, key: null, value: Buffer.from('v') }],
      service.callerOf(p),
    );
  const callerProducers = (name: string) =>
    made.filter((p) => user(p.credential) === name && p !== shared);
  return { service, made, shared, as, produce, callerProducers };
}

test('propagation on: each caller produces with a producer logged in as itself, never the shared one', async () => {
  const t = setup();
  assert.deepEqual(await t.produce(t.as('alice')), [{ partition: 0, offset: 0 }]);
  await t.produce(t.as('alice'));
  await t.produce(t.as('bob'));
  assert.equal(t.callerProducers('alice').length, 1, 'alice reuses her producer');
  assert.equal(t.callerProducers('bob').length, 1);
  assert.deepEqual(t.callerProducers('alice')[0]!.sent, ['t', 't']);
  assert.deepEqual(t.shared.sent, []);
  const cred = t.callerProducers('alice')[0]!.credential;
  assert.equal(cred?.kind === 'password' && cred.password.value(), 'pw');
});

test("a caller's ACL denial replaces only its own producer; the next callers are unaffected", async () => {
  const t = setup();
  await t.produce(t.as('alice'));
  const [out] = await t.produce(t.as('mallory'));
  assert.ok(out !== undefined && 'error' in out);
  assert.equal(toRecordError(out.error).error_code, 40301);
  const [first] = t.callerProducers('mallory');
  await new Promise((r) => setImmediate(r));
  assert.equal(first?.disconnected, true, "mallory's producer is not kept after the denial");
  // interleaved and concurrent: alice keeps writing with her one producer
  const results = await Promise.all([
    t.produce(t.as('alice')),
    t.produce(t.as('mallory')),
    t.produce(t.as('alice')),
  ]);
  assert.ok('offset' in results[0][0]! && 'offset' in results[2][0]!);
  assert.ok('error' in results[1][0]!);
  assert.equal(t.callerProducers('alice').length, 1);
  assert.equal(t.callerProducers('alice')[0]!.disconnected, false);
  assert.equal(t.callerProducers('mallory').length, 2, 'a fresh producer for the next request');
});

test("Kafka refusing the caller's login is 401/40101 (not the gateway's 503)", async () => {
  const t = setup(
    {},
    {
      connect: (c) =>
        user(c) === 'alice' && c?.kind === 'password' && c.password.value() === 'wrong'
          ? Promise.reject(saslRefused())
          : Promise.resolve(),
    },
  );
  await assert.rejects(t.produce(t.as('alice', 'wrong')), (e: unknown) => {
    const r = toErrorResponse(e);
    return r.status === 401 && r.body.error_code === 40101;
  });
  // the right password afterwards: a new login, written
  const [ok] = await t.produce(t.as('alice', 'pw'));
  assert.ok(ok !== undefined && 'offset' in ok);
});

test('a caller without a credential is refused with 401 (fallback refuse) or runs as the gateway', async () => {
  const refuse = setup();
  assert.throws(
    () => refuse.service.callerOf(ANONYMOUS),
    (e: unknown) => e instanceof GatewayError && toErrorResponse(e).body.error_code === 40101,
  );
  const fallback = setup({ KAFKA_PROPAGATION_FALLBACK: 'gateway' });
  assert.equal(fallback.service.callerOf(ANONYMOUS), undefined);
  await fallback.produce(ANONYMOUS);
  assert.deepEqual(fallback.shared.sent, ['t']);
});

test('propagation off: callerOf is undefined for everyone and the shared producer is used', async () => {
  const t = setup({ KAFKA_PRINCIPAL_PROPAGATION: 'off' });
  assert.equal(t.service.callerOf(t.as('alice')), undefined);
  await t.produce(t.as('alice'));
  assert.deepEqual(t.shared.sent, ['t']);
  assert.equal(t.made.length, 1);
});

test('the shared producer is ready only once connect() resolved (after InitProducerId), not at the CONNECT event', async () => {
  let finishInit: () => void = () => undefined;
  const init = new Promise<void>((resolve) => (finishInit = resolve));
  const { service } = setup({ KAFKA_PRINCIPAL_PROPAGATION: 'off' }, { connect: () => init });
  service.onModuleInit();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(service.isConnected(), false, 'CONNECT was emitted, InitProducerId still running');
  finishInit();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(service.isConnected(), true);
  await service.onApplicationShutdown();
});
