import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@kafka-gateway/server-kit';
import { loadConsumerConfig } from './consumer.config';

test('runs without Redis by default (in-memory ownership)', () => {
  const c = loadConsumerConfig({});
  assert.equal(c.routing.redisUrl, undefined);
  assert.equal(c.routing.internalToken, undefined);
  assert.match(c.routing.internalUrl, /^http:\/\/[\d.]+:8082$/);
  assert.equal(c.consumers.instanceTimeoutMs, 300_000);
  assert.equal(c.kafka.clientId, 'kafka-gateway-consumer');
});

test('reads Redis routing and public URL; rejects bad values together', () => {
  const c = loadConsumerConfig({
    REDIS_URL: 'redis://127.0.0.1:6390',
    INTERNAL_TOKEN: 'a-long-enough-secret',
    INTERNAL_URL: 'http://10.0.0.7:8082/',
    REPLICA_ID: 'pod-a',
    HTTP_PUBLIC_BASE_URL: 'http://lb:8082/',
  });
  assert.equal(c.routing.redisUrl, 'redis://127.0.0.1:6390');
  assert.equal(c.routing.internalUrl, 'http://10.0.0.7:8082');
  assert.equal(c.routing.replicaId, 'pod-a');
  assert.equal(c.consumers.publicBaseUrl, 'http://lb:8082');
  assert.throws(
    () => loadConsumerConfig({ REDIS_URL: 'nope', CONSUMER_MAX_INSTANCES: '0' }),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 3,
  );
});

test('Redis without an internal token is refused', () => {
  assert.throws(
    () => loadConsumerConfig({ REDIS_URL: 'redis://r:6379' }),
    (e: unknown) => e instanceof ConfigError && /INTERNAL_TOKEN/.test(e.message),
  );
});

const tlsDir = mkdtempSync(join(tmpdir(), 'consumer-config-'));
const pemFile = (name: string): string => {
  const path = join(tlsDir, name);
  writeFileSync(path, name);
  return path;
};
const redis = { REDIS_URL: 'rediss://r:6380', INTERNAL_TOKEN: 'a-token-of-16-characters' };
const problemsOf = (env: Record<string, string>): string => {
  try {
    loadConsumerConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return assert.fail('expected a ConfigError');
};

test('rediss:// with a CA and an ACL user (password from a file)', () => {
  const c = loadConsumerConfig({
    ...redis,
    REDIS_SSL_CA_LOCATION: pemFile('ca.crt'),
    REDIS_USERNAME: 'gateway',
    REDIS_PASSWORD_FILE: pemFile('redis.password'),
  });
  assert.equal(c.routing.redisCaFile, join(tlsDir, 'ca.crt'));
  assert.equal(c.routing.redisUsername, 'gateway');
  assert.equal(c.routing.redisPassword?.value(), 'redis.password');
  assert.doesNotMatch(JSON.stringify(c), /redis\.password"/);
});

test('Redis security combinations that cannot work stop start-up', () => {
  const m = problemsOf({
    REDIS_URL: 'redis://:inurl@r:6379',
    INTERNAL_TOKEN: 'a-token-of-16-characters',
    REDIS_SSL_CA_LOCATION: pemFile('ca.crt'),
    REDIS_PASSWORD: 'pw',
  });
  assert.match(m, /REDIS_SSL_CA_LOCATION is set but REDIS_URL is not a rediss/);
  assert.match(m, /REDIS_PASSWORD \(or _FILE\) or a password in REDIS_URL, not both/);
  assert.match(problemsOf({ REDIS_USERNAME: 'u', REDIS_PASSWORD: 'p' }), /need REDIS_URL/);
  assert.match(
    problemsOf({ ...redis, REDIS_USERNAME: 'u' }),
    /REDIS_USERNAME needs REDIS_PASSWORD/,
  );
  assert.match(
    problemsOf({ ...redis, REDIS_PASSWORD_FILE: join(tlsDir, 'missing') }),
    /REDIS_PASSWORD_FILE=.*missing or cannot be read/,
  );
});

test('HTTPS listener: INTERNAL_URL defaults to https; forwarding TLS is read', () => {
  const https = { HTTP_TLS_CERT_FILE: pemFile('gw.crt'), HTTP_TLS_KEY_FILE: pemFile('gw.key') };
  const c = loadConsumerConfig({
    ...redis,
    ...https,
    HTTP_PORT: '8443',
    INTERNAL_TLS_CA_FILE: pemFile('ca.crt'),
    INTERNAL_TLS_SERVER_NAME: 'gateway.kafka.svc',
  });
  assert.match(c.routing.internalUrl, /^https:\/\/.*:8443$/);
  assert.equal(c.routing.internalTls?.caFile, join(tlsDir, 'ca.crt'));
  assert.equal(c.routing.internalTls?.serverName, 'gateway.kafka.svc');
  assert.equal(loadConsumerConfig({}).routing.internalTls, undefined);

  assert.match(
    problemsOf({ ...redis, INTERNAL_URL: 'https://10.0.0.1:8082' }),
    /INTERNAL_URL is https but this replica listens on plain HTTP/,
  );
  assert.match(
    problemsOf({ ...redis, ...https, INTERNAL_URL: 'http://10.0.0.1:8082' }),
    /INTERNAL_URL is http but this replica listens on HTTPS/,
  );
  assert.match(
    problemsOf({ ...redis, INTERNAL_TLS_CA_FILE: pemFile('ca.crt') }),
    /INTERNAL_TLS_\* is set but INTERNAL_URL is not https/,
  );
  assert.match(
    problemsOf({ ...redis, ...https, HTTP_TLS_CLIENT_CA_FILE: pemFile('ca.crt') }),
    /set INTERNAL_TLS_CERT_FILE and INTERNAL_TLS_KEY_FILE for forwarded requests/,
  );
});
