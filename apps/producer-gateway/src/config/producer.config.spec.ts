import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@kafka-gateway/server-kit';
import { loadProducerConfig } from './producer.config';

test('loads defaults and freezes the result', () => {
  const c = loadProducerConfig({});
  assert.equal(c.produce.maxRecordsPerRequest, 10_000);
  assert.equal(c.kafka.clientId, 'kafka-gateway-producer');
  assert.ok(Object.isFrozen(c.produce));
});

test('reports app-specific and common problems together', () => {
  assert.throws(
    () => loadProducerConfig({ HTTP_MAX_RECORDS_PER_REQUEST: '0', HTTP_PORT: '-1' }),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 2,
  );
});
