import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Body, Controller, Get, HttpCode, Module, Post, UseInterceptors } from '@nestjs/common';
import { CodecError } from '@kafka-gateway/codec';
import { ServerKitModule } from '../server-kit.module';
import { V2JsonInterceptor } from '../http/v2-json.interceptor';
import { createLogger } from '../logging/logger';
import { EnvReader } from '../config/env-reader';
import { readCommonConfig } from '../config/common.config';
import { ReadinessService } from '../health/readiness.service';
import { startGateway, type RunningGateway } from './start-gateway';

// A real gateway process shell (Nest + express + filter + management port) around a test
// controller: exercises the error contract without Kafka.
let release: (() => void) | undefined;

@Controller('things')
@UseInterceptors(V2JsonInterceptor)
class ThingsController {
  @Get()
  list(): string[] {
    return ['a'];
  }

  @Post()
  @HttpCode(200)
  echo(@Body() body: unknown): unknown {
    if (body !== null && typeof body === 'object' && 'fail' in body) {
      if (body.fail === 'codec')
        throw new CodecError('invalid_base64', 'value=x is not a base64 string.');
      throw new Error('boom: internal detail /src/secret.ts:42');
    }
    return body;
  }

  @Get('slow')
  async slow(): Promise<{ done: boolean }> {
    await new Promise<void>((resolve) => (release = resolve));
    return { done: true };
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

let gw: RunningGateway;
let base: string;
let mgmt: string;
const V2 = 'application/vnd.kafka.v2+json';

before(async () => {
  const r = new EnvReader({
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    HTTP_MAX_BODY_BYTES: '2048',
    HTTP_DRAIN_IDLE_GRACE_MS: '1500',
    LOG_LEVEL: 'silent',
  });
  const config = readCommonConfig(r, { clientId: 't' });
  r.done();
  const logger = createLogger('test', 'silent');
  gw = await startGateway({
    rootModule: {
      module: ThingsModule,
      imports: [ServerKitModule.forRoot({ service: 'test', logger })],
    },
    config,
    logger,
    handleSignals: false,
  });
  base = `http://127.0.0.1:${gw.port}`;
  mgmt = `http://127.0.0.1:${gw.managementPort}`;
});

after(async () => {
  await gw.shutdown('test end');
});

async function call(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string | null; body: unknown; headers: Headers }> {
  const res = await fetch(base + path, init);
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: text ? (JSON.parse(text) as unknown) : undefined,
    headers: res.headers,
  };
}

test('success answers carry the v2 media type', async () => {
  const r = await call('/things');
  assert.equal(r.status, 200);
  assert.equal(r.type, V2);
  assert.deepEqual(r.body, ['a']);
});

test('unknown route → 404 Confluent body', async () => {
  const r = await call('/nowhere');
  assert.equal(r.status, 404);
  assert.equal(r.type, V2);
  assert.deepEqual(r.body, { error_code: 404, message: 'HTTP 404 Not Found' });
});

test('wrong method on a known path → 405 with Allow', async () => {
  const r = await call('/things', { method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.deepEqual(r.body, { error_code: 405, message: 'HTTP 405 Method Not Allowed' });
  assert.match(r.headers.get('allow') ?? '', /GET/);
});

test('malformed JSON → 400 error_code 400', async () => {
  const r = await call('/things', {
    method: 'POST',
    headers: { 'content-type': V2 },
    body: '{"records": [',
  });
  assert.equal(r.status, 400);
  assert.equal((r.body as { error_code: number }).error_code, 400);
});

test('body over the limit → 413 before it is buffered', async () => {
  const r = await call('/things', {
    method: 'POST',
    headers: { 'content-type': V2 },
    body: JSON.stringify({ x: 'y'.repeat(5000) }),
  });
  assert.equal(r.status, 413);
  assert.deepEqual(r.body, { error_code: 413, message: 'HTTP 413 Request Entity Too Large' });
});

test('unacceptable Accept → 406', async () => {
  const r = await call('/things', { headers: { accept: 'text/html' } });
  assert.equal(r.status, 406);
  assert.equal((r.body as { error_code: number }).error_code, 406);
});

test('unsupported charset → 415', async () => {
  const r = await call('/things', {
    method: 'POST',
    headers: { 'content-type': `${V2}; charset=latin1` },
    body: '{}',
  });
  assert.equal(r.status, 415);
  assert.equal((r.body as { error_code: number }).error_code, 415);
});

test('coded errors map through the catalogue; unknown errors hide their details', async () => {
  const c = await call('/things', {
    method: 'POST',
    headers: { 'content-type': V2 },
    body: '{"fail":"codec"}',
  });
  assert.deepEqual(
    [c.status, c.body],
    [400, { error_code: 400, message: 'value=x is not a base64 string.' }],
  );
  const u = await call('/things', {
    method: 'POST',
    headers: { 'content-type': V2 },
    body: '{"fail":"other"}',
  });
  assert.equal(u.status, 500);
  const body = u.body as { error_code: number; message: string };
  assert.equal(body.error_code, 500);
  assert.ok(!body.message.includes('secret'), body.message);
  assert.ok(!body.message.includes('boom'), body.message);
});

test('management port: metrics with the HTTP histogram, health and readiness', async () => {
  const m = await fetch(`${mgmt}/metrics`);
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
  const text = await m.text();
  assert.match(text, /http_request_duration_seconds_bucket\{.*route="\/things".*status="200"/);
  assert.match(text, /http_request_duration_seconds_count\{.*route="unmatched".*status="404"/);
  assert.match(text, /process_cpu_user_seconds_total/);
  assert.equal((await fetch(`${mgmt}/healthz`)).status, 200);
  const readiness = gw.app.get(ReadinessService);
  let kafkaUp = false;
  readiness.register('kafka', () => kafkaUp);
  assert.equal((await fetch(`${mgmt}/readyz`)).status, 503);
  kafkaUp = true;
  assert.equal((await fetch(`${mgmt}/readyz`)).status, 200);
});

/** One HTTP/1.1 request on a raw socket; resolves with the response head once it arrived. */
function rawGet(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(text.slice(0, text.indexOf('\r\n\r\n')));
      }
    };
    socket.on('data', onData);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
  });
}

test('graceful shutdown drains an in-flight request and refuses new connections', async () => {
  // a keep-alive connection that is idle when the drain begins (a balancer's pooled one)
  const pooled = connect(gw.port, '127.0.0.1');
  await new Promise((r) => pooled.once('connect', r));
  assert.match(await rawGet(pooled, '/things'), /^HTTP\/1\.1 200[\s\S]*Connection: keep-alive/i);
  let pooledClosed = false;
  pooled.on('close', () => (pooledClosed = true));

  const inFlight = call('/things/slow');
  while (release === undefined) await new Promise((r) => setTimeout(r, 10));
  const stopping = gw.shutdown('test');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await fetch(`${mgmt}/readyz`).catch(() => undefined))?.status ?? 503, 503);
  // a new connection is refused (existing ones, like the pooled one below, are still served)
  await assert.rejects(
    new Promise((resolve, reject) => {
      const fresh = connect(gw.port, '127.0.0.1');
      fresh.once('connect', () => resolve(fresh.destroy()));
      fresh.once('error', reject);
    }),
    /ECONNREFUSED/,
  );
  // the idle connection is not closed under its peer: a request on it is served, then it closes
  assert.equal(pooledClosed, false);
  assert.match(await rawGet(pooled, '/things'), /^HTTP\/1\.1 200[\s\S]*Connection: close/i);
  await new Promise((r) => (pooledClosed ? r(undefined) : pooled.once('close', r)));
  release();
  const r = await inFlight;
  assert.deepEqual([r.status, r.body], [200, { done: true }]);
  await stopping;
});
