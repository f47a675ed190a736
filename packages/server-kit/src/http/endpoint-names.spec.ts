import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEndpointEnabled } from './endpoint-access';
import { ENDPOINT_NAMES, endpointOf } from './endpoint-names';
import { unnamedRoutes } from '../management/openapi-contract';

const V2_AVRO = 'application/vnd.kafka.avro.v2+json';

test('routes resolve to Confluent endpoint names and groups', () => {
  const cases: [string, string, string, string][] = [
    ['DELETE', '/v3/clusters/c1/topics/orders', 'api.v3.topics.delete', 'api.v3.topics.*'],
    ['GET', '/v3/clusters/c1/topics/orders/', 'api.v3.topics.get', 'api.v3.topics.*'],
    [
      'GET',
      '/v3/clusters/c1/brokers/-/configs',
      'api.v3.brokers-configs.list',
      'api.v3.brokers-configs.*',
    ],
    [
      'GET',
      '/v3/clusters/c1/brokers/1/configs',
      'api.v3.broker-configs.list',
      'api.v3.broker-configs.*',
    ],
    [
      'POST',
      '/v3/clusters/c1/topics/t/configs:alter',
      'api.v3.topic-configs.alter',
      'api.v3.topic-configs.*',
    ],
    [
      'POST',
      '/v3/clusters/c1/topics/t/records',
      'api.v3.produce.produce-to-topic',
      'api.v3.produce.*',
    ],
    [
      'POST',
      '/v3/clusters/c1/topics/t/records:batch',
      'api.v3.batch-produce.produce-to-topic',
      'api.v3.batch-produce.*',
    ],
    [
      'GET',
      '/v3/clusters/c1/topics/-/partitions/-/reassignment',
      'api.v3.partition-reassignments.list',
      'api.v3.partition-reassignments.*',
    ],
    ['GET', '/', 'api.v2.root.get', 'api.v2.root.*'],
    ['HEAD', '/topics', 'api.v2.topics.list', 'api.v2.topics.*'],
    [
      'POST',
      '/consumers/g/instances/i/positions/end',
      'api.v2.consumers.seek-to-end',
      'api.v2.consumers.*',
    ],
  ];
  for (const [method, path, name, group] of cases) {
    const e = endpointOf(method, path, {});
    assert.equal(e?.name, name, `${method} ${path}`);
    assert.equal(e?.group, group);
  }
});

test('v2 produce and consume are named per embedded format, as Confluent names them', () => {
  assert.equal(endpointOf('POST', '/topics/t', {})?.name, 'api.v2.produce-to-topic.binary');
  assert.equal(
    endpointOf('POST', '/topics/t', { 'content-type': V2_AVRO })?.name,
    'api.v2.produce-to-topic.avro',
  );
  assert.equal(
    endpointOf('POST', '/topics/t/partitions/0', {
      'content-type': 'application/vnd.kafka.jsonschema.v2+json; charset=utf-8',
    })?.name,
    'api.v2.produce-to-partition.json-schema',
  );
  assert.equal(
    endpointOf('GET', '/consumers/g/instances/i/records', {
      accept: 'application/vnd.kafka.protobuf.v2+json',
    })?.name,
    'api.v2.consumers.consume-protobuf',
  );
  assert.equal(endpointOf('POST', '/topics/t', {})?.kind, 'produce');
  assert.equal(endpointOf('POST', '/v3/clusters/c/topics/t/records:batch', {})?.kind, 'produce');
  assert.equal(endpointOf('GET', '/consumers/g/instances/i/records', {})?.kind, 'fetch');
  assert.equal(endpointOf('GET', '/topics/t', {})?.kind, 'other');
});

test('paths and methods that are no endpoint resolve to nothing', () => {
  assert.equal(endpointOf('GET', '/nope', {}), undefined);
  assert.equal(endpointOf('PUT', '/v3/clusters/c1/topics/t', {}), undefined);
  assert.equal(endpointOf('GET', '/v3/clusters/c1/topics/t/extra/x', {}), undefined);
  assert.equal(endpointOf('GET', '/v3/clusters/c1/topics//', {}), undefined);
});

test('the name list holds every name and group once', () => {
  assert.equal(new Set(ENDPOINT_NAMES).size, ENDPOINT_NAMES.length);
  assert.ok(ENDPOINT_NAMES.includes('api.v3.topics.delete'));
  assert.ok(ENDPOINT_NAMES.includes('api.v2.produce-to-topic.*'));
  assert.ok(ENDPOINT_NAMES.includes('api.v2.produce-to-topic.protobuf'));
  assert.ok(ENDPOINT_NAMES.includes('api.v2.consumers.consume-json-schema'));
});

test('allow and block lists work as Confluent: by name or group; the blocklist wins', () => {
  const del = endpointOf('DELETE', '/v3/clusters/c/topics/t', {})!;
  const list = endpointOf('GET', '/v3/clusters', {})!;
  const none = new Set<string>();
  assert.equal(
    isEndpointEnabled({ allowlist: none, blocklist: new Set(['api.v3.topics.delete']) }, del),
    false,
  );
  assert.equal(
    isEndpointEnabled({ allowlist: none, blocklist: new Set(['api.v3.topics.*']) }, del),
    false,
  );
  assert.equal(
    isEndpointEnabled({ allowlist: none, blocklist: new Set(['api.v3.topics.*']) }, list),
    true,
  );
  const allow = new Set(['api.v3.topics.*', 'api.v3.clusters.list']);
  assert.equal(isEndpointEnabled({ allowlist: allow, blocklist: none }, del), true);
  assert.equal(isEndpointEnabled({ allowlist: allow, blocklist: none }, list), true);
  assert.equal(
    isEndpointEnabled({ allowlist: allow, blocklist: none }, endpointOf('GET', '/topics', {})!),
    false,
    'an allowlist disables what it does not name',
  );
  assert.equal(
    isEndpointEnabled({ allowlist: allow, blocklist: new Set(['api.v3.topics.delete']) }, del),
    false,
  );
});

test('unnamedRoutes finds the live routes the table misses (escaped colons and params handled)', () => {
  assert.deepEqual(
    unnamedRoutes([
      { method: 'delete', path: '/v3/clusters/:cluster/topics/:topic' },
      { method: 'post', path: '/v3/clusters/:cluster/topics/:topic/records\\:batch' },
      { method: 'get', path: '/consumers/:group/instances/:instance/records' },
      { method: 'get', path: '/not-an-endpoint' },
    ]),
    [{ method: 'get', path: '/not-an-endpoint' }],
  );
});
