import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import {
  createLocalJWKSet,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import type { JwtAuthConfig } from '../config/auth.config';
import { ASYMMETRIC_JWT_ALGORITHMS } from '../config/auth.config';
import { JwtAuthenticator } from './jwt.authenticator';

const req = {} as IncomingMessage;
const CONFIG: JwtAuthConfig = {
  jwksUrl: 'https://idp.test/jwks',
  jwksCaFile: undefined,
  issuer: 'https://idp.test',
  audiences: ['kafka-gateway'],
  algorithms: ASYMMETRIC_JWT_ALGORITHMS,
  principalClaim: 'sub',
  groupsClaim: 'groups',
  clockSkewSeconds: 30,
  cacheTtlMs: 60_000,
  cacheMaxEntries: 100,
};
const bearer = (token: string) => ({ scheme: 'bearer', credentials: token });
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

async function keys() {
  const trusted = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(trusted.publicKey)), kid: 'k1', alg: 'RS256' };
  const local = createLocalJWKSet({ keys: [jwk] });
  let lookups = 0;
  const counting: JWTVerifyGetKey = (header, token) => {
    lookups++;
    return local(header, token);
  };
  const sign = (claims: Record<string, unknown>, key = trusted.privateKey, kid = 'k1') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer((claims['iss'] as string | undefined) ?? CONFIG.issuer)
      .setAudience((claims['aud'] as string | undefined) ?? 'kafka-gateway')
      .setExpirationTime(
        (claims['exp'] as number | undefined) ?? Math.floor(Date.now() / 1000) + 600,
      )
      .sign(key);
  return { trusted, other, sign, counting, lookups: () => lookups };
}

test('a valid token gives its subject and groups, and a bearer credential with its expiry', async () => {
  const k = await keys();
  const auth = new JwtAuthenticator(CONFIG, k.counting);
  const exp = Math.floor(Date.now() / 1000) + 600;
  const token = await k.sign({ sub: 'team-a-svc', groups: ['team-a', 7, 'ops'], exp });
  const r = await auth.authenticate(req, bearer(token));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.principal.name, 'team-a-svc');
  assert.deepEqual(r.principal.groups, ['team-a', 'ops']);
  assert.equal(r.principal.mechanism, 'jwt');
  assert.deepEqual(
    r.principal.credential?.kind === 'bearer' && [
      r.principal.credential.token.value(),
      r.principal.credential.expiresAtMs,
    ],
    [token, exp * 1000],
  );
});

test('configurable claims: a dotted principal claim and a space-separated groups string', async () => {
  const k = await keys();
  const auth = new JwtAuthenticator(
    { ...CONFIG, principalClaim: 'ext.svc', groupsClaim: 'scope' },
    k.counting,
  );
  const r = await auth.authenticate(
    req,
    bearer(await k.sign({ ext: { svc: 'billing' }, scope: 'a  b' })),
  );
  assert.ok(r.ok);
  assert.equal(r.principal.name, 'billing');
  assert.deepEqual(r.principal.groups, ['a', 'b']);
  const none = await auth.authenticate(req, bearer(await k.sign({ sub: 'x' })));
  assert.deepEqual(none, { ok: false, reason: 'no_principal' });
});

test('every forged, foreign or stale token is refused with a coarse reason', async () => {
  const k = await keys();
  const auth = new JwtAuthenticator(CONFIG, k.counting);
  const now = Math.floor(Date.now() / 1000);
  const publicPem = await exportSPKI(k.trusted.publicKey);
  const hs256 = await new SignJWT({ sub: 'x' })
    .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
    .setIssuer(CONFIG.issuer)
    .setAudience('kafka-gateway')
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(publicPem));
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', iss: CONFIG.issuer, aud: 'kafka-gateway', exp: now + 600 })}.`;
  const cases: [string, string, string][] = [
    ['expired', await k.sign({ sub: 'x', exp: now - 120 }), 'expired'],
    [
      'not yet valid',
      await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(CONFIG.issuer)
        .setAudience('kafka-gateway')
        .setNotBefore(now + 600)
        .setExpirationTime(now + 1200)
        .sign(k.trusted.privateKey),
      'expired',
    ],
    ['wrong audience', await k.sign({ sub: 'x', aud: 'someone-else' }), 'invalid_token'],
    ['wrong issuer', await k.sign({ sub: 'x', iss: 'https://evil.test' }), 'invalid_token'],
    ['another key, same kid', await k.sign({ sub: 'x' }, k.other.privateKey), 'invalid_token'],
    [
      'another key, unknown kid',
      await k.sign({ sub: 'x' }, k.other.privateKey, 'k2'),
      'invalid_token',
    ],
    ['HS256 with the public key', hs256, 'invalid_token'],
    ['alg none (empty signature)', algNone, 'malformed'],
    ['alg none (any signature)', `${algNone}c2ln`, 'invalid_token'],
    [
      'no exp',
      await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(CONFIG.issuer)
        .setAudience('kafka-gateway')
        .sign(k.trusted.privateKey),
      'invalid_token',
    ],
    ['garbage', 'not-a-jwt', 'malformed'],
  ];
  for (const [what, token, reason] of cases) {
    assert.deepEqual(await auth.authenticate(req, bearer(token)), { ok: false, reason }, what);
  }
});

test('within the skew an expired token still passes; a JWKS failure is the verifier, not the token', async () => {
  const k = await keys();
  const now = Math.floor(Date.now() / 1000);
  const lenient = new JwtAuthenticator({ ...CONFIG, clockSkewSeconds: 60 }, k.counting);
  assert.ok(
    (await lenient.authenticate(req, bearer(await k.sign({ sub: 'x', exp: now - 10 })))).ok,
  );
  const down = new JwtAuthenticator(CONFIG, () => Promise.reject(new Error('ECONNREFUSED')));
  assert.deepEqual(await down.authenticate(req, bearer(await k.sign({ sub: 'x' }))), {
    ok: false,
    reason: 'verifier_unavailable',
  });
});

test('a verified token is remembered, never past its exp', async () => {
  const k = await keys();
  let nowMs = Date.now();
  const auth = new JwtAuthenticator(CONFIG, k.counting, () => nowMs);
  const exp = Math.floor(nowMs / 1000) + 20;
  const token = await k.sign({ sub: 'x', exp });
  assert.ok((await auth.authenticate(req, bearer(token))).ok);
  assert.ok((await auth.authenticate(req, bearer(token))).ok);
  assert.equal(k.lookups(), 1, 'the second check came from the cache');
  nowMs = exp * 1000 + 1;
  assert.ok(
    (await auth.authenticate(req, bearer(token))).ok,
    'verified again: still inside the 30 s skew',
  );
  assert.equal(k.lookups(), 2, 'the cache entry ended at exp');
  nowMs = exp * 1000 + 31_000;
  assert.deepEqual(await auth.authenticate(req, bearer(token)), { ok: false, reason: 'expired' });
});
