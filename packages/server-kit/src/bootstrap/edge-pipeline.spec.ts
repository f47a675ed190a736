import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Body, Controller, Delete, Get, HttpCode, Module, Param, Post } from '@nestjs/common';
import type { NextFunction, Request, Response as ExpressResponse } from 'express';
import { setPrincipal } from '../auth/principal';
import { readCommonConfig } from '../config/common.config';
import { EnvReader } from '../config/env-reader';
import { createLogger } from '../logging/logger';
import { ServerKitModule } from '../server-kit.module';
import { startGateway, type RunningGateway } from './start-gateway';

// The edge chain in a real gateway shell, with principals injected by a stand-in for
// authentication (the `x-test-principal` header): CORS, endpoint lists and quotas, in order.
const ran = { produce: 0, deleted: 0, fetched: 0, authenticated: 0 };
const FETCH_BYTES = 1500;

@Controller()
class EdgeTestController {
  @Post('topics/:topic')
  @HttpCode(200)
  produce(@Body() body: { records?: unknown[] }): { offsets: unknown[] } {
    ran.produce++;
    return { offsets: (body.records ?? []).map(() => ({ partition: 0, offset: 0 })) };
  }

  @Delete('v3/clusters/:c/topics/:t')
  @HttpCode(204)
  delete(@Param('t') _t: string): void {
    ran.deleted++;
  }

  @Get('consumers/:g/instances/:i/records')
  records(): { value: string }[] {
    ran.fetched++;
    return [{ value: 'x'.repeat(FETCH_BYTES - 14) }]; // [{"value":"…"}] is FETCH_BYTES bytes
  }
}

@Module({ controllers: [EdgeTestController] })
class EdgeTestModule {}

let gw: RunningGateway;
let base: string;

before(async () => {
  const r = new EnvReader({
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    QUOTA_PRODUCE_REQUESTS_PER_SECOND: '2',
    QUOTA_PRODUCE_BYTES_PER_SECOND: '1000',
    QUOTA_FETCH_BYTES_PER_SECOND: '1000',
    CORS_ALLOWED_ORIGINS: 'https://app.example.com',
    API_ENDPOINTS_BLOCKLIST: 'api.v3.topics.delete',
  });
  const config = readCommonConfig(r, { clientId: 't' });
  r.done();
  const logger = createLogger('test', 'silent');
  gw = await startGateway({
    rootModule: {
      module: EdgeTestModule,
      imports: [ServerKitModule.forRoot({ service: 'test', logger })],
    },
    config,
    logger,
    handleSignals: false,
    beforeAuth: () => [
      (req: Request, _res: ExpressResponse, next: NextFunction) => {
        ran.authenticated++;
        const name = req.headers['x-test-principal'];
        if (typeof name === 'string') setPrincipal(req, { name, groups: [], mechanism: 'basic' });
        next();
      },
    ],
  });
  base = `http://127.0.0.1:${gw.port}`;
});

after(() => gw.shutdown('test end'));

const V2_BINARY = 'application/vnd.kafka.binary.v2+json';
const produceBody = JSON.stringify({ records: [{ value: 'AA==' }] });

function produce(principal: string, body = produceBody): Promise<Response> {
  return fetch(`${base}/topics/t`, {
    method: 'POST',
    headers: { 'content-type': V2_BINARY, 'x-test-principal': principal },
    body,
  });
}

test('over the produce request quota: 429/429 with Retry-After; another principal is unaffected', async () => {
  const before = ran.produce;
  assert.equal((await produce('alice')).status, 200);
  assert.equal((await produce('alice')).status, 200);
  const refused = await produce('alice');
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.deepEqual(await refused.json(), {
    error_code: 429,
    message: 'Request rate limit exceeded',
  });
  assert.equal(ran.produce - before, 2, 'the refused request never reached the handler');
  assert.equal((await produce('bob')).status, 200, 'bob has a quota of his own');
  const metrics = await (await fetch(`http://127.0.0.1:${gw.managementPort}/metrics`)).text();
  assert.match(
    metrics,
    /kafka_gateway_quota_refusals_total\{quota="produce_requests",service="test"\} 1/,
  );
});

test('a body without Content-Length is charged as it is read and refused while in debt', async () => {
  const big = JSON.stringify({ records: [{ value: 'A'.repeat(1400) }] }); // > 1000 bytes/s
  const chunked = (): Promise<Response> =>
    fetch(`${base}/topics/t`, {
      method: 'POST',
      headers: { 'content-type': V2_BINARY, 'x-test-principal': 'carol' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    });
  const before = ran.produce;
  const first = await chunked();
  assert.equal(first.status, 200, 'a full bucket admits one body larger than the burst');
  const second = await chunked();
  assert.equal(second.status, 429, 'in debt for the bytes of the first');
  assert.ok(Number(second.headers.get('retry-after')) >= 1);
  assert.equal(ran.produce - before, 1);
});

test('fetch: the bytes returned are charged; the next fetch is refused while in debt', async () => {
  const fetchRecords = () =>
    fetch(`${base}/consumers/g/instances/i/records`, { headers: { 'x-test-principal': 'dave' } });
  const first = await fetchRecords();
  assert.equal(first.status, 200);
  assert.equal(Number(first.headers.get('content-length')), FETCH_BYTES);
  await first.text();
  await new Promise((r) => setTimeout(r, 20)); // charged when the answer is finished
  const second = await fetchRecords();
  assert.equal(second.status, 429);
  assert.equal(second.headers.get('retry-after'), '1', '500 bytes of debt at 1000/s');
  const other = await fetch(`${base}/consumers/g/instances/i/records`, {
    headers: { 'x-test-principal': 'erin' },
  });
  assert.equal(other.status, 200);
});

test('a blocklisted endpoint answers as Confluent (405 for DELETE) and never runs', async () => {
  const res = await fetch(`${base}/v3/clusters/c/topics/t`, { method: 'DELETE' });
  assert.equal(res.status, 405);
  assert.deepEqual(await res.json(), { error_code: 405, message: 'HTTP 405 Method Not Allowed' });
  assert.equal(ran.deleted, 0);
});

test('CORS preflight is answered before authentication; a disallowed one gets 403 and no CORS headers', async () => {
  const authenticated = ran.authenticated;
  const ok = await fetch(`${base}/topics/t`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
  assert.equal(ok.headers.get('access-control-allow-headers'), 'content-type, authorization');
  assert.match(ok.headers.get('vary') ?? '', /Origin/);
  const refused = await fetch(`${base}/topics/t`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  assert.equal(((await refused.json()) as { error_code: number }).error_code, 403);
  assert.equal(ran.authenticated, authenticated, 'no preflight reached authentication');
});

test('CORS actual requests: the allowed origin gets its headers, another origin none', async () => {
  const allowed = await fetch(`${base}/consumers/g/instances/i/records`, {
    headers: { origin: 'https://app.example.com', 'x-test-principal': 'frank' },
  });
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
  assert.equal(allowed.headers.get('access-control-expose-headers'), 'Retry-After, X-Request-Id');
  const other = await fetch(`${base}/consumers/g/instances/i/records`, {
    headers: { origin: 'https://evil.example', 'x-test-principal': 'grace' },
  });
  assert.equal(other.status, 200, 'the request itself is served; the browser hides the answer');
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  assert.equal(other.headers.get('vary'), 'Origin');
});
