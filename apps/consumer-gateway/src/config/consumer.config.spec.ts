import { test } from 'node:test';
import assert from 'node:assert/strict';
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
