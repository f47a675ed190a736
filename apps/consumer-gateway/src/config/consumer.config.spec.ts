import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@kafka-gateway/server-kit';
import { loadConsumerConfig } from './consumer.config';

test('runs without Redis by default (in-memory ownership)', () => {
  const c = loadConsumerConfig({});
  assert.equal(c.redis.url, undefined);
  assert.equal(c.consumers.instanceTimeoutMs, 300_000);
  assert.equal(c.kafka.clientId, 'kafka-gateway-consumer');
});

test('reads Redis and public URL; rejects bad values together', () => {
  const c = loadConsumerConfig({
    REDIS_URL: 'redis://127.0.0.1:6390',
    HTTP_PUBLIC_BASE_URL: 'http://lb:8082/',
  });
  assert.equal(c.redis.url, 'redis://127.0.0.1:6390');
  assert.equal(c.consumers.publicBaseUrl, 'http://lb:8082');
  assert.throws(
    () => loadConsumerConfig({ REDIS_URL: 'nope', CONSUMER_MAX_INSTANCES: '0' }),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 2,
  );
});
