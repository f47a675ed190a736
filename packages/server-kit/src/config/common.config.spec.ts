import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommonConfig, type CommonConfig } from './common.config';
import { ConfigError, deepFreeze, type Env, EnvReader } from './env-reader';

const dir = mkdtempSync(join(tmpdir(), 'common-config-'));
const file = (name: string, content = 'x'): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const missing = join(dir, 'does-not-exist.pem');

function load(env: Env): CommonConfig {
  const r = new EnvReader(env);
  const c = readCommonConfig(r, { clientId: 'test' });
  r.done();
  return c;
}

function problems(env: Env): string {
  try {
    load(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  assert.fail('expected a ConfigError');
}

test('registry TLS and bearer token are read; secrets stay redacted', () => {
  const c = load({
    SCHEMA_REGISTRY_URL: 'https://sr:8443/apis/ccompat/v7',
    SCHEMA_REGISTRY_SSL_CA_LOCATION: file('ca.crt'),
    SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION: file('client.crt'),
    SCHEMA_REGISTRY_SSL_KEY_LOCATION: file('client.key'),
    SCHEMA_REGISTRY_BEARER_AUTH_TOKEN_FILE: file('token', 's3cret-token\n'),
  });
  const sr = c.schemaRegistry;
  assert.equal(sr.caFile, join(dir, 'ca.crt'));
  assert.equal(sr.certFile, join(dir, 'client.crt'));
  assert.equal(sr.bearerAuthToken?.value(), 's3cret-token');
  assert.doesNotMatch(JSON.stringify(c), /s3cret-token/);
});

test('basic auth user info from a file is accepted without reading it now', () => {
  const c = load({
    SCHEMA_REGISTRY_URL: 'http://sr:8081',
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_FILE: file('user-info', 'u:p'),
  });
  assert.equal(c.schemaRegistry.basicAuthUserInfo?.value(), 'u:p');
});

test('unsupported registry combinations and unreadable files name the variable', () => {
  const m = problems({
    SCHEMA_REGISTRY_URL: 'http://u:p@sr:8081',
    SCHEMA_REGISTRY_SSL_CA_LOCATION: missing,
    SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION: file('only-cert.crt'),
    SCHEMA_REGISTRY_BEARER_AUTH_TOKEN: 'tok',
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'no-colon',
  });
  assert.match(m, /SCHEMA_REGISTRY_SSL_CA_LOCATION=.*missing or cannot be read/);
  assert.match(m, /SCHEMA_REGISTRY_SSL_\* files are set but SCHEMA_REGISTRY_URL is not an https/);
  assert.match(m, /SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION and SCHEMA_REGISTRY_SSL_KEY_LOCATION/);
  assert.match(m, /SCHEMA_REGISTRY_BEARER_AUTH_TOKEN and basic credentials/);
  assert.match(m, /SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO must be user:password/);
  assert.doesNotMatch(m, /no-colon|tok\b/, 'no secret in the message');
  assert.match(
    problems({
      SCHEMA_REGISTRY_BEARER_AUTH_TOKEN: 'a',
      SCHEMA_REGISTRY_BEARER_AUTH_TOKEN_FILE: file('t'),
    }),
    /set SCHEMA_REGISTRY_BEARER_AUTH_TOKEN or SCHEMA_REGISTRY_BEARER_AUTH_TOKEN_FILE, not both/,
  );
});

test('HTTPS listener: cert and key (and an optional client CA)', () => {
  assert.equal(load({}).http.tls, undefined);
  const c = load({
    HTTP_TLS_CERT_FILE: file('gw.crt'),
    HTTP_TLS_KEY_FILE: file('gw.key'),
    HTTP_TLS_CLIENT_CA_FILE: file('clients-ca.crt'),
  });
  assert.deepEqual(c.http.tls, {
    certFile: join(dir, 'gw.crt'),
    keyFile: join(dir, 'gw.key'),
    clientCaFile: join(dir, 'clients-ca.crt'),
  });
  assert.match(
    problems({ HTTP_TLS_CERT_FILE: file('gw.crt') }),
    /HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE go together/,
  );
  assert.match(
    problems({ HTTP_TLS_CLIENT_CA_FILE: file('clients-ca.crt') }),
    /HTTP_TLS_CLIENT_CA_FILE needs/,
  );
  assert.match(
    problems({ HTTP_TLS_CERT_FILE: missing, HTTP_TLS_KEY_FILE: file('gw.key') }),
    /HTTP_TLS_CERT_FILE=.*missing or cannot be read/,
  );
});

test('a file secret in a deep-frozen config still follows its file', () => {
  const path = file('frozen-secret', 'one');
  const c = deepFreeze(load({ SCHEMA_REGISTRY_BEARER_AUTH_TOKEN_FILE: path }));
  assert.equal(c.schemaRegistry.bearerAuthToken?.value(), 'one');
  writeFileSync(path, 'two-longer');
  assert.equal(c.schemaRegistry.bearerAuthToken?.value(), 'two-longer');
});

test('principal propagation: off by default; on needs a SASL protocol; mechanism and cache bounds', () => {
  const off = load({});
  assert.equal(off.kafka.propagation.enabled, false);
  assert.equal(off.kafka.propagation.fallback, 'refuse');
  assert.match(
    problems({ KAFKA_PRINCIPAL_PROPAGATION: 'on' }),
    /KAFKA_PRINCIPAL_PROPAGATION=on needs KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL/,
  );
  const sasl = {
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
    KAFKA_SASL_USERNAME: 'gw',
    KAFKA_SASL_PASSWORD: 'pw',
    KAFKA_PRINCIPAL_PROPAGATION: 'on',
  };
  const on = load(sasl).kafka.propagation;
  assert.equal(on.enabled, true);
  assert.equal(on.saslMechanism, 'SCRAM-SHA-256', "the gateway's own mechanism by default");
  const set = load({
    ...sasl,
    KAFKA_PROPAGATION_SASL_MECHANISM: 'plain',
    KAFKA_PROPAGATION_FALLBACK: 'gateway',
    KAFKA_PROPAGATION_MAX_CLIENTS: '7',
    KAFKA_PROPAGATION_IDLE_MS: '5000',
  }).kafka.propagation;
  assert.deepEqual(
    { ...set },
    { enabled: true, saslMechanism: 'PLAIN', fallback: 'gateway', maxClients: 7, idleMs: 5000 },
  );
  assert.match(
    problems({ ...sasl, KAFKA_PROPAGATION_SASL_MECHANISM: 'gssapi' }),
    /KAFKA_PROPAGATION_SASL_MECHANISM=gssapi must be one of plain, scram-sha-256, scram-sha-512/,
  );
});
