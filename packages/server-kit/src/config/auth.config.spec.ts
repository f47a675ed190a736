import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthConfig, readAuthConfig } from './auth.config';
import { ConfigError, type Env, EnvReader } from './env-reader';

const dir = mkdtempSync(join(tmpdir(), 'auth-config-'));
const users = join(dir, 'users');
writeFileSync(users, '');

function load(env: Env, clientCa?: string): AuthConfig {
  const r = new EnvReader(env);
  const c = readAuthConfig(r, clientCa);
  r.done();
  return c;
}

function problems(env: Env, clientCa?: string): string {
  try {
    load(env, clientCa);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  assert.fail('expected a ConfigError');
}

const JWT = {
  AUTH_METHODS: 'jwt',
  AUTH_JWT_JWKS_URL: 'https://idp.example/jwks',
  AUTH_JWT_ISSUER: 'https://idp.example',
  AUTH_JWT_AUDIENCE: 'kafka-gateway',
};

test('authentication is off by default (none)', () => {
  const c = load({});
  assert.deepEqual(c.methods, ['none']);
  assert.equal(c.basic, undefined);
  assert.equal(c.jwt, undefined);
  assert.equal(c.maxHeaderBytes, 8192);
});

test('methods keep their order; each method reads its own settings', () => {
  const c = load({
    ...JWT,
    AUTH_METHODS: 'jwt, basic,none',
    AUTH_BASIC_FILE: users,
    AUTH_JWT_AUDIENCE: 'a,b',
    AUTH_JWT_GROUPS_CLAIM: 'realm_access.roles',
    AUTH_JWT_CLOCK_SKEW_SECONDS: '5',
  });
  assert.deepEqual(c.methods, ['jwt', 'basic', 'none']);
  assert.equal(c.basic?.file, users);
  assert.deepEqual(c.jwt?.audiences, ['a', 'b']);
  assert.equal(c.jwt?.groupsClaim, 'realm_access.roles');
  assert.equal(c.jwt?.principalClaim, 'sub');
  assert.equal(c.jwt?.clockSkewSeconds, 5);
  assert.ok(c.jwt?.algorithms.includes('RS256'));
  assert.ok(!c.jwt?.algorithms.some((a) => a.startsWith('HS')));
});

test('every missing or contradictory setting is reported at once', () => {
  const msg = problems({ AUTH_METHODS: 'basic,jwt,mtls,ldap,basic', AUTH_REALM: 'a"b' });
  assert.match(msg, /ldap is not one of/);
  assert.match(msg, /lists basic twice/);
  assert.match(msg, /basic needs AUTH_BASIC_FILE/);
  assert.match(msg, /jwt needs AUTH_JWT_JWKS_URL, AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE/);
  assert.match(msg, /mtls needs HTTP_TLS_CLIENT_CA_FILE/);
  assert.match(msg, /AUTH_REALM/);
});

test('symmetric or unsigned JWT algorithms cannot be allowed', () => {
  for (const alg of ['HS256', 'none']) {
    assert.match(
      problems({ ...JWT, AUTH_JWT_ALGORITHMS: `RS256,${alg}` }),
      new RegExp(`${alg} is not allowed`),
    );
  }
});

test('settings of a method that is not listed are a mistake, not silently ignored', () => {
  assert.match(problems({ AUTH_BASIC_FILE: users }), /AUTH_METHODS lacks basic/);
  assert.match(problems({ AUTH_JWT_JWKS_URL: 'https://x/jwks' }), /AUTH_METHODS lacks jwt/);
  assert.match(
    problems({ ...JWT, AUTH_JWT_JWKS_URL: 'http://x/jwks', AUTH_JWT_JWKS_CA_FILE: users }),
    /not https/,
  );
});

test('mtls with a client CA names the certificate field', () => {
  const c = load({ AUTH_METHODS: 'mtls', AUTH_MTLS_PRINCIPAL: 'san-dns' }, '/ca.pem');
  assert.deepEqual(c.mtls, { principalField: 'san-dns' });
});
