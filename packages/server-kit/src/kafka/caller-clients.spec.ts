import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { CallerCredential, Principal } from '../auth/principal';
import { Secret } from '../config/secret';
import type { PropagationConfig } from '../config/propagation.config';
import { GatewayError } from '../errors/error-catalogue';
import { CallerClientCache, type EvictionReason, propagatedCredential } from './caller-clients';

class FakeClient {
  connects = 0;
  disconnects = 0;
  constructor(
    readonly credential: CallerCredential,
    private readonly failConnect: boolean,
  ) {}
  connect(): Promise<void> {
    this.connects++;
    return this.failConnect ? Promise.reject(new Error('refused')) : Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.disconnects++;
    return Promise.resolve();
  }
}

function setup(options: { maxClients?: number; idleMs?: number } = {}) {
  let now = 1_000_000;
  const made: FakeClient[] = [];
  const evicted: EvictionReason[] = [];
  let failNext = false;
  const cache = new CallerClientCache(
    (credential) => {
      const c = new FakeClient(credential, failNext);
      failNext = false;
      made.push(c);
      return c;
    },
    {
      maxClients: options.maxClients ?? 10,
      idleMs: options.idleMs ?? 60_000,
      now: () => now,
      onEvict: (r) => evicted.push(r),
    },
  );
  const client = (p: Principal, c: CallerCredential): Promise<FakeClient> =>
    cache.use(p, c, (x) => Promise.resolve(x));
  return {
    cache,
    made,
    evicted,
    client,
    advance: (ms: number) => (now += ms),
    now: () => now,
    failNextConnect: () => (failNext = true),
  };
}

const principal = (name: string): Principal => ({ name, groups: [], mechanism: 'basic' });
const password = (username: string, pw: string): CallerCredential => ({
  kind: 'password',
  username,
  password: Secret.of(pw),
});
const bearer = (token: string, expiresAtMs: number): CallerCredential => ({
  kind: 'bearer',
  token: Secret.of(token),
  expiresAtMs,
});
/** Lets queued disconnects (chained on the connect promise) run. */
const settle = () => new Promise((r) => setImmediate(r));

test('the same principal and credential reuse one connected client; another principal gets its own', async () => {
  const t = setup();
  const a1 = await t.client(principal('alice'), password('alice', 'pw'));
  const a2 = await t.client(principal('alice'), password('alice', 'pw'));
  const b = await t.client(principal('bob'), password('bob', 'pw'));
  assert.equal(a1, a2);
  assert.notEqual(a1, b);
  assert.equal(a1.connects, 1);
  assert.equal(t.cache.size(), 2);
  assert.equal(t.made.length, 2);
});

test('a changed password gets a new client, never the one that logged in with the old one', async () => {
  const t = setup();
  const old = await t.client(principal('alice'), password('alice', 'old'));
  const fresh = await t.client(principal('alice'), password('alice', 'new'));
  assert.notEqual(old, fresh);
  assert.equal(fresh.credential.kind === 'password' && fresh.credential.password.value(), 'new');
  // the old one is kept only until it idles out (another process may still use the old password)
  assert.equal(t.cache.size(), 2);
});

test('LRU: past maxClients the least recently used client is evicted and disconnected', async () => {
  const t = setup({ maxClients: 2 });
  const a = await t.client(principal('a'), password('a', 'x'));
  const b = await t.client(principal('b'), password('b', 'x'));
  await t.client(principal('a'), password('a', 'x')); // a is now the most recent
  const c = await t.client(principal('c'), password('c', 'x'));
  await settle();
  assert.equal(t.cache.size(), 2);
  assert.deepEqual(t.evicted, ['lru']);
  assert.equal(b.disconnects, 1, 'b was the least recently used');
  assert.equal(a.disconnects, 0);
  assert.equal(c.disconnects, 0);
  const b2 = await t.client(principal('b'), password('b', 'x'));
  assert.notEqual(b2, b, 'an evicted client is never handed out again');
});

test('idle clients are evicted by the sweep; recently used ones stay', async () => {
  const t = setup({ idleMs: 60_000 });
  const a = await t.client(principal('a'), password('a', 'x'));
  t.advance(40_000);
  const b = await t.client(principal('b'), password('b', 'x'));
  t.advance(20_000);
  t.cache.sweep();
  await settle();
  assert.equal(a.disconnects, 1);
  assert.equal(b.disconnects, 0);
  assert.deepEqual(t.evicted, ['idle']);
  t.advance(39_999);
  t.cache.sweep();
  assert.equal(t.cache.size(), 1, 'b is 59.999 s idle: kept');
});

test('a bearer client is evicted when its token expires; the new token gets a new client', async () => {
  const t = setup();
  const expires = t.now() + 30_000;
  const first = await t.client(principal('svc'), bearer('token-1', expires));
  assert.equal(await t.client(principal('svc'), bearer('token-1', expires)), first);
  const second = await t.client(principal('svc'), bearer('token-2', t.now() + 90_000));
  assert.notEqual(second, first, 'a new token is a new client');
  t.advance(30_000);
  t.cache.sweep();
  await settle();
  assert.equal(first.disconnects, 1);
  assert.equal(second.disconnects, 0);
  assert.deepEqual(t.evicted, ['expired']);
  // an expired token presented again is never served by the old client
  const again = await t.client(principal('svc'), bearer('token-1', expires));
  assert.notEqual(again, first);
});

test('an evicted client disconnects only after its in-flight calls finished', async () => {
  const t = setup({ maxClients: 1 });
  let release!: () => void;
  const blocked = new Promise<void>((r) => (release = r));
  let inside!: FakeClient;
  const call = t.cache.use(principal('a'), password('a', 'x'), async (c) => {
    inside = c;
    await blocked;
    return 'done';
  });
  await settle();
  await t.client(principal('b'), password('b', 'x')); // evicts a (LRU) while its call runs
  await settle();
  assert.equal(inside.disconnects, 0, 'still in flight');
  release();
  assert.equal(await call, 'done');
  await settle();
  assert.equal(inside.disconnects, 1);
});

test('a failed connection removes the client: the next call tries a fresh one', async () => {
  const t = setup();
  t.failNextConnect();
  await assert.rejects(t.client(principal('a'), password('a', 'wrong')), /refused/);
  assert.equal(t.cache.size(), 0);
  assert.deepEqual(t.evicted, ['failed']);
  const ok = await t.client(principal('a'), password('a', 'wrong'));
  assert.equal(t.made.length, 2);
  assert.equal(ok.connects, 1);
});

test('discard takes a broken client out of service; other principals keep theirs', async () => {
  const t = setup();
  const a = await t.client(principal('a'), password('a', 'x'));
  const b = await t.client(principal('b'), password('b', 'x'));
  t.cache.discard(a);
  await settle();
  assert.equal(a.disconnects, 1);
  assert.deepEqual(t.evicted, ['broken']);
  assert.equal(await t.client(principal('b'), password('b', 'x')), b);
  assert.notEqual(await t.client(principal('a'), password('a', 'x')), a);
});

test('closeAll disconnects every client and refuses new calls', async () => {
  const t = setup();
  const a = await t.client(principal('a'), password('a', 'x'));
  await t.cache.closeAll();
  assert.equal(a.disconnects, 1);
  await assert.rejects(t.client(principal('a'), password('a', 'x')), GatewayError);
});

test('the cache key never holds the secret', async () => {
  const t = setup();
  await t.client(principal('alice'), password('alice', 'hunter2-secret'));
  await t.client(principal('svc'), bearer('eyJ.secret-token', t.now() + 1000));
  const shown = inspect(t.cache, { depth: 6, showHidden: true });
  assert.doesNotMatch(shown, /hunter2-secret|secret-token/);
  assert.match(shown, /alice/);
});

test('propagatedCredential: off uses the gateway; on uses the caller or refuses/falls back', () => {
  const off: PropagationConfig = {
    enabled: false,
    saslMechanism: 'SCRAM-SHA-512',
    fallback: 'refuse',
    maxClients: 1,
    idleMs: 1000,
  };
  const cred = password('alice', 'pw');
  const alice: Principal = { ...principal('alice'), credential: cred };
  const mtls: Principal = { name: 'CN=app', groups: [], mechanism: 'mtls' };
  assert.equal(propagatedCredential(alice, off), undefined);
  const on = { ...off, enabled: true };
  assert.equal(propagatedCredential(alice, on), cred);
  assert.throws(
    () => propagatedCredential(mtls, on),
    (e: unknown) => e instanceof GatewayError && e.code === 'unauthenticated',
  );
  assert.equal(propagatedCredential(mtls, { ...on, fallback: 'gateway' }), undefined);
});
