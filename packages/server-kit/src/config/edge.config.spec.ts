import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, EnvReader } from './env-reader';
import { readEdgeConfig } from './edge.config';

function read(env: Record<string, string>, readable = true) {
  const r = new EnvReader(env, () => readable);
  const c = readEdgeConfig(r);
  r.done();
  return c;
}

function problems(env: Record<string, string>): string[] {
  try {
    read(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

test('everything is off by default', () => {
  assert.deepEqual(read({}), { cors: undefined, endpoints: undefined, quotas: undefined });
});

test('quotas: rates per second, burst defaulting to one second; any one turns quotas on', () => {
  const c = read({
    QUOTA_PRODUCE_BYTES_PER_SECOND: '1048576',
    QUOTA_PRODUCE_BYTES_BURST: '4194304',
    QUOTA_GLOBAL_REQUESTS_PER_SECOND: '500',
  });
  assert.deepEqual(c.quotas, {
    defaults: {
      produceRequests: undefined,
      produceBytes: { perSecond: 1048576, burst: 4194304 },
      fetchBytes: undefined,
    },
    globalRequests: { perSecond: 500, burst: 500 },
    file: undefined,
  });
  assert.ok(
    read({ QUOTA_FILE: '/etc/quotas.yaml' }).quotas !== undefined,
    'a file alone turns them on',
  );
  assert.equal(read({ QUOTA_FETCH_BYTES_PER_SECOND: '0' }).quotas, undefined, '0 is off');
});

test('quota and CORS problems are reported together', () => {
  const p = problems({
    QUOTA_FETCH_BYTES_BURST: '10',
    QUOTA_PRODUCE_REQUESTS_PER_SECOND: '-1',
    CORS_ALLOWED_ORIGINS: '*,https://app.example.com/path',
    CORS_ALLOW_CREDENTIALS: 'true',
    API_ENDPOINTS_BLOCKLIST: 'api.v3.topics.delete,delete topics',
  });
  assert.ok(
    p.some((x) => x.includes('QUOTA_FETCH_BYTES_BURST needs QUOTA_FETCH_BYTES_PER_SECOND')),
    p.join('\n'),
  );
  assert.ok(p.some((x) => x.startsWith('QUOTA_PRODUCE_REQUESTS_PER_SECOND=-1')));
  assert.ok(p.some((x) => x.includes('cannot be combined with CORS_ALLOW_CREDENTIALS')));
  assert.ok(p.some((x) => x.includes('"https://app.example.com/path" is not an origin')));
  assert.ok(p.some((x) => x.includes('"delete topics" is not an endpoint name')));
});

test('CORS: exact origins, defaults for methods and headers, credentials and max age', () => {
  const c = read({
    CORS_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:3000',
    CORS_ALLOW_CREDENTIALS: 'true',
    CORS_ALLOWED_HEADERS: 'Authorization,Content-Type',
  });
  assert.deepEqual(c.cors, {
    allowedOrigins: ['https://app.example.com', 'http://localhost:3000'],
    anyOrigin: false,
    allowedMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['Retry-After', 'X-Request-Id'],
    allowCredentials: true,
    maxAgeSeconds: 600,
  });
});

test('endpoint lists as comma lists of names', () => {
  const c = read({ API_ENDPOINTS_ALLOWLIST: 'api.v3.topics.*, api.v3.clusters.list' });
  assert.deepEqual(
    [...(c.endpoints?.allowlist ?? [])],
    ['api.v3.topics.*', 'api.v3.clusters.list'],
  );
  assert.equal(c.endpoints?.blocklist.size, 0);
});
