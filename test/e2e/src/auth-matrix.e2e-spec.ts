import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign as rsaSign,
} from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import {
  type Answer,
  type Family,
  renderMatrix,
  type Row,
  type RowContext,
  runMatrix,
  send,
} from './auth-matrix.support';

/**
 * Client authentication of the auth-required gateway set (`infra/stack up --auth`, auth.env),
 * through its round-robin entry point: every endpoint family × every way of presenting bad,
 * forged or no credentials must be 401/40101 with the challenge, and valid Basic and JWT
 * credentials must work, including for a consumer instance owned by the other replica (the
 * forwarded path, asked of that replica directly). The table is printed; its bypass count must
 * be 0. Without auth.env the suite is skipped.
 */
const env = process.env;
const skip =
  env['AUTH_EDGE_URL'] === undefined
    ? 'needs infra/stack up --auth (source .run/stack/auth.env)'
    : false;
const need = (name: string): string => {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set (source auth.env)`);
  return v;
};

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const CHALLENGE = 'Basic realm="kafka-gateway", Bearer realm="kafka-gateway"';
/** Above AUTH_MAX_HEADER_BYTES (8 KiB), below what nginx and Node let through (16 KiB). */
const OVERSIZED_HEADER_BYTES = 10_000;

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A token from the stack's oauth endpoint, with the test switches of infra/lib/oauth-server.cjs. */
async function stackToken(params: Record<string, string>): Promise<string> {
  const res = await fetch(need('AUTH_TOKEN_URL'), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${need('AUTH_TOKEN_CLIENT_ID')}:${need('AUTH_TOKEN_CLIENT_SECRET')}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || body.access_token === undefined)
    throw new Error(`token endpoint: ${res.status}`);
  return body.access_token;
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: need('AUTH_JWT_ISSUER'),
    aud: need('AUTH_JWT_AUDIENCE'),
    sub: need('AUTH_TEAM_A_USER'),
    groups: ['team-a'],
    iat: now,
    exp: now + 600,
    ...overrides,
  };
}

interface Tokens {
  valid: string;
  expired: string;
  wrongAudience: string;
  wrongIssuer: string;
  algNone: string;
  otherKey: string;
  hs256WithPublicKey: string;
}

async function tokens(): Promise<Tokens> {
  const user = need('AUTH_TEAM_A_USER');
  const aud = need('AUTH_JWT_AUDIENCE');
  // the stack's trusted key: what the gateways' JWKS serves
  const jwks = (await (await fetch(need('AUTH_JWKS_URL'))).json()) as {
    keys: (Record<string, string> & { kid: string })[];
  };
  const jwk = jwks.keys[0]!;
  const publicPem = createPublicKey({ key: jwk, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const hsInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: jwk.kid })}.${b64url(claims())}`;
  // a key of this test's own, published in no JWKS the gateways trust
  const own = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ownInput = `${b64url({ alg: 'RS256', typ: 'JWT', kid: `test-${randomUUID()}` })}.${b64url(claims())}`;
  return {
    valid: await stackToken({ sub: user, groups: 'team-a', aud }),
    expired: await stackToken({ sub: user, groups: 'team-a', aud, ttl: '-300' }),
    wrongAudience: await stackToken({ sub: user, groups: 'team-a' }), // the broker's audience
    wrongIssuer: await stackToken({
      sub: user,
      groups: 'team-a',
      aud,
      iss: 'https://evil.example',
    }),
    algNone: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`,
    otherKey: `${ownInput}.${rsaSign('sha256', Buffer.from(ownInput), own.privateKey).toString('base64url')}`,
    hs256WithPublicKey: `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`,
  };
}

const kafka = new Kafka({
  clientId: 'auth-matrix',
  brokers: (env['KAFKA_BROKERS'] ?? '').split(','),
  logLevel: logLevel.NOTHING,
});
const topic = `team-a.authn-${randomUUID().slice(0, 8)}`;
const group = `team-a.authn-${randomUUID().slice(0, 8)}`;
let clusterId = '';
let tk: Tokens;
/** An instance created on the first consumer replica: the target of every refusal row. */
const target = { group, name: `target-${randomUUID().slice(0, 8)}` };

const edge = (path: string): string => need('AUTH_EDGE_URL') + path;
const consumerUrls = (): string[] => need('AUTH_CONSUMER_URLS').split(',');
const instancePath = (i: { group: string; name: string }): string =>
  `/consumers/${i.group}/instances/${i.name}`;
/** A row's own instance (allowed rows create one); refusal rows aim at the target. */
const instanceOf = (ctx: RowContext): { group: string; name: string } =>
  (ctx.state.get('instance') as { group: string; name: string } | undefined) ?? target;

const families: Family[] = [
  {
    name: 'v2 produce',
    okStatus: 200,
    send: (h) =>
      send(
        edge(`/topics/${topic}`),
        'POST',
        { ...h, 'content-type': BINARY },
        { records: [{ value: Buffer.from('x').toString('base64') }] },
      ),
  },
  {
    name: 'v2 topics',
    okStatus: 200,
    send: (h) => send(edge('/topics'), 'GET', { ...h, accept: V2 }),
  },
  {
    name: 'v2 metadata',
    okStatus: 200,
    send: (h) => send(edge(`/topics/${topic}/partitions`), 'GET', { ...h, accept: V2 }),
  },
  {
    name: 'v3 topics',
    okStatus: 200,
    send: (h) => send(edge(`/v3/clusters/${clusterId}/topics`), 'GET', h),
  },
  {
    name: 'v3 records',
    okStatus: 200,
    send: (h) =>
      send(
        edge(`/v3/clusters/${clusterId}/topics/${topic}/records`),
        'POST',
        { ...h, 'content-type': 'application/json' },
        {
          value: { type: 'JSON', data: { n: 1 } },
        },
      ),
  },
  {
    name: 'consumer create',
    okStatus: 200,
    send: async (h, ctx) => {
      const name = `c-${randomUUID().slice(0, 8)}`;
      const a = await send(
        edge(`/consumers/${group}`),
        'POST',
        { ...h, 'content-type': V2 },
        { name, format: 'binary', 'auto.offset.reset': 'earliest' },
      );
      if (a.status === 200) ctx.state.set('instance', { group, name });
      return a;
    },
  },
  {
    name: 'subscribe',
    okStatus: 204,
    send: (h, ctx) =>
      send(
        edge(`${instancePath(instanceOf(ctx))}/subscription`),
        'POST',
        { ...h, 'content-type': V2 },
        { topics: [topic] },
      ),
  },
  {
    name: 'records',
    okStatus: 200,
    send: (h, ctx) =>
      send(edge(`${instancePath(instanceOf(ctx))}/records?timeout=500`), 'GET', {
        ...h,
        accept: BINARY,
      }),
  },
  {
    name: 'offsets',
    okStatus: 200,
    send: (h, ctx) =>
      send(
        edge(`${instancePath(instanceOf(ctx))}/offsets`),
        'POST',
        { ...h, 'content-type': V2 },
        {
          offsets: [{ topic, partition: 0, offset: 0 }],
        },
      ),
  },
  {
    // the target lives on the first replica: the second one forwards (for allowed rows too)
    name: 'forwarded',
    okStatus: 200,
    send: (h) =>
      send(
        `${consumerUrls()[1] ?? consumerUrls()[0]!}${instancePath(target)}/subscription`,
        'GET',
        { ...h, accept: V2 },
      ),
  },
  {
    name: 'consumer delete',
    okStatus: 204,
    send: (h, ctx) =>
      send(edge(instancePath(instanceOf(ctx))), 'DELETE', { ...h, 'content-type': V2 }),
  },
];

const refused = { kind: 'refused', status: 401, errorCode: 40101, challenge: CHALLENGE } as const;
const forbidden = { kind: 'refused', status: 403, errorCode: 40301 } as const;
const instanceMissing = { kind: 'refused', status: 404, errorCode: 40403 } as const;
const rows = (): Row[] => [
  { name: 'no credentials', expect: refused, headers: () => ({}) },
  {
    name: 'wrong password',
    expect: refused,
    headers: () => basic(need('AUTH_TEAM_A_USER'), `${need('AUTH_TEAM_A_PASSWORD')}x`),
  },
  {
    name: 'unknown user',
    expect: refused,
    headers: () => basic(`nobody-${randomUUID().slice(0, 6)}`, need('AUTH_TEAM_A_PASSWORD')),
  },
  { name: 'expired JWT', expect: refused, headers: () => bearer(tk.expired) },
  { name: 'wrong audience', expect: refused, headers: () => bearer(tk.wrongAudience) },
  { name: 'wrong issuer', expect: refused, headers: () => bearer(tk.wrongIssuer) },
  { name: 'alg: none', expect: refused, headers: () => bearer(tk.algNone) },
  { name: 'another key (own JWKS)', expect: refused, headers: () => bearer(tk.otherKey) },
  { name: 'HS256 with public key', expect: refused, headers: () => bearer(tk.hs256WithPublicKey) },
  {
    name: 'forged principal header',
    expect: refused,
    headers: () => ({
      'x-kafka-gateway-principal': b64url({ n: need('AUTH_OPS_USER'), g: ['ops'], m: 'basic' }),
      'x-kafka-gateway-token': 'guessed-token-guessed-token-guessed',
    }),
  },
  {
    name: 'oversized Authorization',
    expect: refused,
    headers: () => ({ authorization: `Bearer ${'a'.repeat(OVERSIZED_HEADER_BYTES)}` }),
  },
  {
    name: 'valid Basic',
    expect: { kind: 'allowed' },
    headers: () => basic(need('AUTH_TEAM_A_USER'), need('AUTH_TEAM_A_PASSWORD')),
  },
  { name: 'valid JWT', expect: { kind: 'allowed' }, headers: () => bearer(tk.valid) },
  // authorization: team b, authenticated, against team a's topic, group and instance
  {
    name: 'other team (authz)',
    expect: forbidden,
    expectIn: {
      // listings answer, filtered (auth-teams.e2e-spec.ts checks what they leave out)
      'v2 topics': { kind: 'allowed' },
      'v3 topics': { kind: 'allowed' },
      // another principal's instance: exactly a missing one, also through forwarding
      subscribe: instanceMissing,
      records: instanceMissing,
      offsets: instanceMissing,
      forwarded: instanceMissing,
      'consumer delete': instanceMissing,
    },
    headers: () => basic(need('AUTH_TEAM_B_USER'), need('AUTH_TEAM_B_PASSWORD')),
  },
];

async function ok(a: Promise<Answer>, status: number, what: string): Promise<Answer> {
  const r = await a;
  assert.equal(r.status, status, `${what}: ${r.text}`);
  return r;
}

before(async () => {
  if (skip !== false) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  tk = await tokens();
  const creds = basic(need('AUTH_TEAM_A_USER'), need('AUTH_TEAM_A_PASSWORD'));
  const clusters = await ok(send(edge('/v3/clusters'), 'GET', creds), 200, 'list clusters');
  clusterId = (clusters.body as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
  // the target instance, created on the first consumer replica directly (it owns it)
  await ok(
    send(
      `${consumerUrls()[0]!}/consumers/${group}`,
      'POST',
      { ...creds, 'content-type': V2 },
      { name: target.name, format: 'binary' },
    ),
    200,
    'create the target instance',
  );
  await ok(
    send(
      `${consumerUrls()[0]!}${instancePath(target)}/subscription`,
      'POST',
      { ...creds, 'content-type': V2 },
      { topics: [topic] },
    ),
    204,
    'subscribe the target instance',
  );
});

after(async () => {
  if (skip !== false) return;
  const creds = basic(need('AUTH_TEAM_A_USER'), need('AUTH_TEAM_A_PASSWORD'));
  await send(edge(instancePath(target)), 'DELETE', { ...creds, 'content-type': V2 }).catch(
    () => undefined,
  );
});

/** Requests the second consumer replica forwarded to an owner, by outcome `forwarded`. */
async function forwardedBySecondReplica(): Promise<number> {
  const urls = need('AUTH_CONSUMER_METRICS_URLS').split(',');
  const text = await (await fetch(`${urls[1] ?? urls[0]!}/metrics`)).text();
  const m = /^kafka_gateway_forwarded_requests_total\{[^}]*outcome="forwarded"[^}]*\} (\d+)/m.exec(
    text,
  );
  return m === null ? 0 : Number(m[1]);
}

test(
  'every endpoint family refuses every bad credential and serves good ones (bypass count 0)',
  { skip },
  async () => {
    const forwardedBefore = await forwardedBySecondReplica();
    const cells = await runMatrix(rows(), families);
    const forwarded = (await forwardedBySecondReplica()) - forwardedBefore;
    assert.ok(forwarded >= 2, `the valid rows' forwarded cells reached the owner (${forwarded})`);
    const table = renderMatrix(cells);
    console.log(`\nauthentication matrix (through ${need('AUTH_EDGE_URL')}):\n${table}\n`);
    const wrong = cells
      .filter((c) => c.problems.length > 0)
      .map((c) => `${c.row} × ${c.family}: ${c.problems.join('; ')}`);
    assert.equal(cells.filter((c) => c.bypass).length, 0, `bypasses:\n${wrong.join('\n')}`);
    assert.deepEqual(wrong, []);
    assert.equal(cells.length, rows().length * families.length);
  },
);

test('a refusal body never says which part failed', { skip }, async () => {
  const bodies = new Set<string>();
  for (const h of [
    {},
    basic(need('AUTH_TEAM_A_USER'), 'wrong'),
    bearer(tk.expired),
    bearer(tk.otherKey),
    bearer('x.y.z'),
  ]) {
    const a = await send(edge('/topics'), 'GET', h);
    assert.equal(a.status, 401);
    bodies.add(a.text);
  }
  assert.equal(bodies.size, 1, [...bodies].join('\n'));
});
