import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, EnvReader, deepFreeze } from './env-reader';
import { readCommonConfig } from './common.config';

test('defaults apply when nothing is set', () => {
  const r = new EnvReader({});
  const c = readCommonConfig(r, { clientId: 'x' });
  r.done();
  assert.equal(c.http.port, 8082);
  assert.deepEqual(c.kafka.brokers, ['127.0.0.1:9092']);
  assert.equal(c.schemaRegistry.url, undefined);
  assert.equal(c.logLevel, 'info');
});

test('every problem is reported at once', () => {
  const r = new EnvReader({
    HTTP_PORT: 'eighty',
    METRICS_PORT: '70000',
    KAFKA_BROKERS: 'localhost',
    LOG_LEVEL: 'loud',
    SCHEMA_REGISTRY_URL: 'not a url',
  });
  readCommonConfig(r, { clientId: 'x' });
  assert.throws(
    () => r.done(),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 5, e.message);
      for (const name of [
        'HTTP_PORT',
        'METRICS_PORT',
        'KAFKA_BROKERS',
        'LOG_LEVEL',
        'SCHEMA_REGISTRY_URL',
      ]) {
        assert.ok(e.message.includes(name), name);
      }
      return true;
    },
  );
});

test('values are parsed and trimmed', () => {
  const r = new EnvReader({
    KAFKA_BROKERS: ' a:1 , b:2 ',
    HTTP_PORT: '9000',
    SCHEMA_REGISTRY_URL: 'http://r:8081/apis/ccompat/v7/',
  });
  const c = readCommonConfig(r, { clientId: 'x' });
  r.done();
  assert.deepEqual(c.kafka.brokers, ['a:1', 'b:2']);
  assert.equal(c.http.port, 9000);
  assert.equal(c.schemaRegistry.url, 'http://r:8081/apis/ccompat/v7');
});

test('deepFreeze freezes nested objects', () => {
  const o = deepFreeze({ a: { b: [1] } });
  assert.ok(Object.isFrozen(o.a));
  assert.ok(Object.isFrozen(o.a.b));
});

test('bool accepts common spellings and rejects others', () => {
  const r = new EnvReader({ A: 'yes', B: 'off', C: 'maybe' });
  assert.equal(r.bool('A', false), true);
  assert.equal(r.bool('B', true), false);
  assert.equal(r.bool('C', true), true);
  assert.throws(() => r.done(), ConfigError);
});
