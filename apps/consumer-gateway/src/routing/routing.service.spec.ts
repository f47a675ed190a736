import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorResponder, GatewayError, MetricsService } from '@kafka-gateway/server-kit';
import type { Request, Response } from 'express';
import pino from 'pino';
import { loadConsumerConfig } from '../config/consumer.config';
import { FORWARD_TOKEN, type ForwardOutcome, type Forwarder } from './forwarder';
import type { LocalInstances } from './local-instances';
import type { InstanceRef, Lookup, OwnershipStore } from './ownership-store';
import { RoutingService } from './routing.service';

const TOKEN = 'a-long-enough-secret-token';
const REF: InstanceRef = { group: 'g', instance: 'i' };
const OWNER = { replicaId: 'pod-b', url: 'http://10.0.0.8:8082' };

/** A shared ownership table in memory; `lookups` answers in turn (the last one repeats). */
class FakeStore implements OwnershipStore {
  readonly shared: boolean;
  lookups: (Lookup | Error)[] = [{ kind: 'none' }];
  lookupCalls = 0;
  claimable = true;
  releaseError: Error | undefined;
  heartbeatError: Error | undefined;
  available = true;
  justReconnected = false;
  closed = false;
  readonly evictions: { ref: InstanceRef; replicaId: string }[] = [];
  readonly heartbeats: (readonly InstanceRef[])[] = [];
  readonly reconnectListeners: (() => void)[] = [];
  constructor(shared = true) {
    this.shared = shared;
  }
  async claim(): Promise<boolean> {
    return this.claimable;
  }
  async release(): Promise<void> {
    if (this.releaseError !== undefined) throw this.releaseError;
  }
  async lookup(): Promise<Lookup> {
    const answer = this.lookups[Math.min(this.lookupCalls++, this.lookups.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async evict(ref: InstanceRef, replicaId: string): Promise<void> {
    this.evictions.push({ ref, replicaId });
  }
  async heartbeat(instances: readonly InstanceRef[]): Promise<void> {
    this.heartbeats.push([...instances]);
    if (this.heartbeatError !== undefined) throw this.heartbeatError;
  }
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }
  status(): { available: boolean; justReconnected: boolean } {
    return { available: this.available, justReconnected: this.justReconnected };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Answers every forward with `outcome` and remembers where each request went. */
class FakeForwarder implements Pick<Forwarder, 'forward' | 'close'> {
  outcome: ForwardOutcome = 'forwarded';
  readonly targets: string[] = [];
  closed = false;
  /** Answers in turn before `outcome` applies (e.g. an old owner's 404 first). */
  outcomes: ForwardOutcome[] = [];
  readonly staleFlags: boolean[] = [];
  async forward(
    _req: Request,
    _res: Response,
    ownerUrl: string,
    options: { notFoundIsStale?: boolean } = {},
  ): Promise<ForwardOutcome> {
    this.targets.push(ownerUrl);
    this.staleFlags.push(options.notFoundIsStale === true);
    const next = this.outcomes.shift() ?? this.outcome;
    return next === 'owner_lost' && options.notFoundIsStale !== true ? 'forwarded' : next;
  }
  close(): void {
    this.closed = true;
  }
}

/** The part of an express response the error responder writes. */
class FakeResponse {
  statusCode: number | undefined;
  readonly headers: Record<string, string> = {};
  body: string | undefined;
  headersSent = false;
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  end(body: string): this {
    this.body = body;
    this.headersSent = true;
    return this;
  }
  destroy(): void {}
  json(): unknown {
    return this.body === undefined ? undefined : JSON.parse(this.body);
  }
}

function request(headers: Record<string, string | string[]> = {}): Request {
  const url = '/consumers/g/instances/i/records';
  return {
    method: headers['content-length'] === undefined ? 'GET' : 'POST',
    headers,
    originalUrl: url,
    path: url,
  } as unknown as Request;
}

function setup(options: { forwarder?: boolean; shared?: boolean } = {}) {
  const store = new FakeStore(options.shared ?? true);
  const forwarder = new FakeForwarder();
  const metrics = new MetricsService('consumer-gateway');
  const logger = pino({ enabled: false });
  const routing = new RoutingService(
    loadConsumerConfig({
      REDIS_URL: 'redis://redis:6379',
      INTERNAL_TOKEN: TOKEN,
      REPLICA_ID: 'pod-a',
      ROUTING_OWNERSHIP_TTL_MS: '3000',
    }),
    logger,
    store,
    options.forwarder === false ? null : (forwarder as unknown as Forwarder),
    new ErrorResponder(logger, metrics),
    metrics,
  );
  const route = async (
    headers: Record<string, string | string[]> = {},
  ): Promise<{ answered: boolean; res: FakeResponse }> => {
    const res = new FakeResponse();
    const answered = await routing.route(request(headers), res as unknown as Response, REF);
    return { answered, res };
  };
  return { routing, store, forwarder, metrics, route };
}

const holding = (refs: InstanceRef[]): LocalInstances => ({
  has: (ref) => refs.some((r) => r.group === ref.group && r.instance === ref.instance),
  list: () => refs,
});

test('without a forwarder (single replica) nothing is routed and the store is not asked', async () => {
  const { store, route } = setup({ forwarder: false });
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  const { answered, res } = await route();
  assert.equal(answered, false);
  assert.equal(store.lookupCalls, 0);
  assert.equal(res.statusCode, undefined);
});

test('an instance held here is served here', async () => {
  const { routing, store, forwarder, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  routing.attach(holding([REF]));
  assert.equal((await route()).answered, false);
  assert.deepEqual(forwarder.targets, []);
  routing.attach(holding([{ group: 'g', instance: 'other' }]));
  assert.equal((await route()).answered, true, 'another instance of the group is not this one');
});

test('a request forwarded by a replica (its token) is served here; a wrong token is forwarded', async () => {
  const { routing, store, forwarder, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  assert.equal((await route({ [FORWARD_TOKEN]: TOKEN })).answered, false, 'never forwarded twice');
  assert.deepEqual(forwarder.targets, []);
  const sameLength = TOKEN.slice(0, -1) + 'X';
  for (const wrong of [sameLength, 'short', [TOKEN, TOKEN]]) {
    assert.equal((await route({ [FORWARD_TOKEN]: wrong })).answered, true);
  }
  assert.equal(forwarder.targets.length, 3);
  assert.equal(routing.isForwarded(TOKEN), true);
  assert.equal(routing.isForwarded(sameLength), false);
  assert.equal(routing.isForwarded(undefined), false);
});

test('an instance owned elsewhere is forwarded to the URL its owner registered', async () => {
  const { store, forwarder, metrics, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  const { answered, res } = await route();
  assert.equal(answered, true);
  assert.deepEqual(forwarder.targets, [OWNER.url]);
  assert.equal(res.statusCode, undefined, 'the owner answered; routing wrote nothing itself');
  assert.equal(
    await metrics.sample('kafka_gateway_forwarded_requests_total', { outcome: 'forwarded' }),
    1,
  );
  assert.equal(
    await metrics.sample('kafka_gateway_forward_duration_seconds_count', {
      outcome: 'forwarded',
    }),
    1,
  );
});

test('an unreachable owner is evicted and the client gets 404/40403', async () => {
  const { store, forwarder, metrics, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  forwarder.outcome = 'owner_unreachable';
  const { answered, res } = await route();
  assert.equal(answered, true);
  assert.deepEqual(store.evictions, [{ ref: REF, replicaId: 'pod-b' }]);
  assert.equal(res.statusCode, 404);
  assert.equal((res.json() as { error_code: number }).error_code, 40403);
  assert.equal(res.headers['content-type'], 'application/vnd.kafka.v2+json');
  assert.equal(await metrics.sample('kafka_gateway_errors_total', { error_code: '40403' }), 1);
});

test('an owner that fails before answering: 503/50303 with Retry-After, no eviction', async () => {
  const { store, forwarder, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  forwarder.outcome = 'owner_failed';
  const { res } = await route();
  assert.equal(res.statusCode, 503);
  assert.equal((res.json() as { error_code: number }).error_code, 50303);
  assert.equal(res.headers['retry-after'], '1');
  assert.deepEqual(store.evictions, []);
});

test('a broken exchange (response already started) writes nothing more', async () => {
  const { store, forwarder, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  forwarder.outcome = 'broken';
  const { answered, res } = await route();
  assert.equal(answered, true);
  assert.equal(res.statusCode, undefined);
  assert.deepEqual(store.evictions, []);
});

test('an unreachable ownership store: 503 routing_unavailable written, nothing forwarded', async () => {
  const { store, forwarder, metrics, route } = setup();
  store.lookups = [
    new GatewayError(
      'routing_unavailable',
      'The consumer-instance ownership store is unreachable',
      {
        retriable: true,
        retryAfterSeconds: 1,
      },
    ),
  ];
  store.available = false;
  const { answered, res } = await route();
  assert.equal(answered, true);
  assert.equal(res.statusCode, 503);
  assert.equal((res.json() as { error_code: number }).error_code, 50303);
  assert.equal(res.headers['retry-after'], '1');
  assert.deepEqual(forwarder.targets, []);
  assert.equal(
    await metrics.sample('kafka_gateway_forwarded_requests_total', {
      outcome: 'routing_unavailable',
    }),
    1,
  );
  assert.equal(await metrics.sample('kafka_gateway_routing_store_up'), 0);
});

test('no live owner anywhere: not answered here (the local handlers say 404)', async () => {
  const { store, forwarder, route } = setup();
  const { answered, res } = await route();
  assert.equal(answered, false);
  assert.equal(store.lookupCalls, 1, 'no retry outside a reconnect');
  assert.deepEqual(forwarder.targets, []);
  assert.equal(res.statusCode, undefined);
});

test('right after a store reconnect a miss is looked up again until the owner re-registers', async () => {
  const { store, forwarder, route } = setup();
  store.justReconnected = true;
  store.lookups = [{ kind: 'none' }, { kind: 'none' }, { kind: 'owner', owner: OWNER }];
  assert.equal((await route()).answered, true);
  assert.equal(store.lookupCalls, 3);
  assert.deepEqual(forwarder.targets, [OWNER.url]);
});

test("claim: a name a live replica owns is 409/40902; release failures are not the caller's", async () => {
  const { routing, store } = setup();
  await routing.claim(REF);
  store.claimable = false;
  await assert.rejects(
    routing.claim(REF),
    (e: unknown) => e instanceof GatewayError && e.code === 'consumer_instance_exists',
  );
  store.releaseError = new Error('redis gone');
  await routing.release(REF); // the record expires on its own
});

test('heartbeats re-assert the attached instances: on every reconnect and every ttl/3', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { routing, store } = setup();
  routing.attach(holding([REF, { group: 'h', instance: 'j' }]));
  routing.onModuleInit();
  assert.equal(store.reconnectListeners.length, 1);
  store.reconnectListeners[0]!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(store.heartbeats, [[REF, { group: 'h', instance: 'j' }]]);
  store.heartbeatError = new Error('redis gone'); // logged, never thrown out of the timer
  t.mock.timers.tick(999);
  assert.equal(store.heartbeats.length, 1);
  t.mock.timers.tick(1);
  await new Promise((r) => setImmediate(r));
  assert.equal(store.heartbeats.length, 2);
  await routing.onApplicationShutdown();
  t.mock.timers.tick(5000);
  assert.equal(store.heartbeats.length, 2, 'no heartbeat after shutdown');
});

test('a store that is not shared gets no heartbeats; shutdown closes forwarder and store', async () => {
  const { routing, store, forwarder } = setup({ shared: false });
  routing.onModuleInit();
  assert.equal(store.reconnectListeners.length, 0);
  await routing.onApplicationShutdown();
  assert.equal(forwarder.closed, true);
  assert.equal(store.closed, true);
});

test('polls reuse the owner found in the store; requests with a body always ask the store', async () => {
  const { store, forwarder, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  for (let i = 0; i < 3; i++) assert.equal((await route()).answered, true);
  assert.equal(store.lookupCalls, 1, 'one lookup for three polls');
  assert.deepEqual(forwarder.staleFlags, [false, true, true], "a cached owner's 404 may be stale");
  await route({ 'content-length': '12' });
  await route({ 'content-length': '12' });
  assert.equal(store.lookupCalls, 3, 'a body cannot be resent, so it never goes to a cached owner');
  assert.deepEqual(forwarder.staleFlags.slice(3), [false, false]);
});

test("a cached owner that no longer holds the instance: the store's current owner answers", async () => {
  const { store, forwarder, metrics, route } = setup();
  const moved = { replicaId: 'pod-c', url: 'http://10.0.0.9:8082' };
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  await route();
  store.lookups = [{ kind: 'owner', owner: moved }];
  store.lookupCalls = 0;
  forwarder.outcomes = ['owner_lost'];
  const { answered, res } = await route();
  assert.equal(answered, true);
  assert.deepEqual(forwarder.targets, [OWNER.url, OWNER.url, moved.url]);
  assert.equal(res.statusCode, undefined, 'the new owner answered');
  assert.equal(
    await metrics.sample('kafka_gateway_forwarded_requests_total', { outcome: 'owner_lost' }),
    1,
  );
  // the new owner is remembered
  await route();
  assert.equal(forwarder.targets.at(-1), moved.url);
  assert.equal(store.lookupCalls, 1);
});

test('a cached owner whose instance is gone everywhere: the local handlers answer 404', async () => {
  const { store, forwarder, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  await route();
  store.lookups = [{ kind: 'none' }];
  forwarder.outcomes = ['owner_lost'];
  assert.equal((await route()).answered, false);
  // and it is forgotten: the next poll asks the store again
  store.lookupCalls = 0;
  await route();
  assert.equal(store.lookupCalls, 1);
});

test('an unreachable cached owner is forgotten as well as evicted', async () => {
  const { store, forwarder, route } = setup();
  store.lookups = [{ kind: 'owner', owner: OWNER }];
  await route();
  forwarder.outcome = 'owner_unreachable';
  assert.equal((await route()).res.statusCode, 404);
  forwarder.outcome = 'forwarded';
  store.lookupCalls = 0;
  await route();
  assert.equal(store.lookupCalls, 1, 'looked up again');
});
