import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import { ReadinessService } from '../health/readiness.service';
import { ManagementServer } from './management-server';
import { loadOpenApiContract, undocumentedRoutes } from './openapi-contract';

let server: ManagementServer;
let base: string;
let kafkaUp = true;

before(async () => {
  const readiness = new ReadinessService();
  readiness.register('kafka', () => kafkaUp);
  server = new ManagementServer(new MetricsService('t'), readiness, createLogger('t', 'silent'));
  base = `http://127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
});

after(() => server.close());

test('serves docs/openapi.yaml as written and as JSON', async () => {
  const yaml = await fetch(`${base}/openapi.yaml`);
  assert.equal(yaml.status, 200);
  assert.match(yaml.headers.get('content-type') ?? '', /^application\/yaml/);
  const text = await yaml.text();
  assert.match(text, /^openapi: 3\./m);
  const json = await fetch(`${base}/openapi.json`);
  assert.equal(json.status, 200);
  assert.equal(json.headers.get('content-type'), 'application/json');
  const doc = (await json.json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(doc.openapi, /^3\./);
  assert.ok('/topics/{topic}' in doc.paths);
  const head = await fetch(`${base}/openapi.json`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

test('kafka_gateway_readiness mirrors each /readyz check at scrape time', async () => {
  kafkaUp = true;
  let text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /kafka_gateway_readiness\{check="kafka",service="t"\} 1/);
  assert.match(text, /kafka_gateway_readiness\{check="accepting",service="t"\} 1/);
  kafkaUp = false;
  text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /kafka_gateway_readiness\{check="kafka",service="t"\} 0/);
});

test('undocumentedRoutes matches path shapes, not parameter names, and checks the method', () => {
  const contract = loadOpenApiContract();
  assert.ok(contract !== undefined, 'the build embeds dist/openapi');
  const fake = {
    ...contract,
    operations: new Map([
      ['/topics/{topic_name}', new Set(['get', 'post'])],
      ['/v3/clusters/{cluster_id}/topics/{topic_name}/configs:alter', new Set(['post'])],
    ]),
  };
  assert.deepEqual(
    undocumentedRoutes(
      [
        { method: 'get', path: '/topics/:topic' },
        { method: 'post', path: '/v3/clusters/:cluster/topics/:topic/configs\\:alter' },
        { method: 'delete', path: '/topics/:topic' },
        { method: 'get', path: '/topics/:topic/partitions' },
      ],
      fake,
    ),
    [
      { method: 'delete', path: '/topics/:topic' },
      { method: 'get', path: '/topics/:topic/partitions' },
    ],
  );
});
