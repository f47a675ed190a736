import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import express from 'express';
import { EnvReader } from '../config/env-reader';
import { readCommonConfig } from '../config/common.config';
import { ErrorResponder } from '../errors/error-responder';
import { createLogger } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import { bodyErrorHandler, jsonBody } from './json-body';
import { applyServerLimits } from './server-limits';

// The public listener's limits on a bare express app with the gateway's JSON body parser: the
// same wiring as startGateway, with one-second deadlines so the slow cases stay fast.
const r = new EnvReader({
  HTTP_HEADERS_TIMEOUT_MS: '1000',
  HTTP_BODY_IDLE_TIMEOUT_MS: '1000',
  HTTP_MAX_BODY_BYTES: '4096',
  HTTP_MAX_JSON_DEPTH: '8',
});
const config = readCommonConfig(r, { clientId: 't' });
r.done();
const metrics = new MetricsService('test');
let server: Server;
let port: number;

before(async () => {
  const app = express();
  app.use(jsonBody(config.http));
  app.use(bodyErrorHandler(new ErrorResponder(createLogger('test', 'silent'), metrics)));
  app.post('/echo', (req, res) => void res.json({ body: req.body as unknown }));
  // what the handler sees of numbers: their type and digits
  app.post('/numbers', (req, res) => {
    const b = req.body as { a: unknown; n: { list: unknown[] }; f: unknown; s: unknown };
    const show = (v: unknown): string => `${typeof v}:${String(v)}`;
    res.json([show(b.a), show(b.n.list[1]), show(b.f), show(b.s)]);
  });
  app.post('/slow', (_req, res) => void setTimeout(() => res.json({ done: true }), 1800));
  app.post('/ignore-body', (_req, res) => void res.status(415).json({ error_code: 415 }));
  server = createServer(app);
  applyServerLimits(server, config.http, createLogger('test', 'silent'), metrics);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Writes raw bytes, collects everything the server sends until it closes the connection. */
function exchange(send: (s: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => send(s));
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('close', () => resolve(text));
    s.on('error', reject);
  });
}

function assertJsonError(text: string, status: number): void {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), text);
  assert.match(head, /\r\ncontent-type: application\/(vnd\.kafka\.v2\+)?json/i, text);
  assert.match(head, /\r\nconnection: close/i, text);
  assert.equal((JSON.parse(body) as { error_code: number }).error_code, status, text);
}

const POST = (path: string, headers: string): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n`;

test('headers that never finish → 408 JSON, then the connection is closed', async () => {
  assertJsonError(await exchange((s) => s.write('GET /echo HTTP/1.1\r\nHost: x\r\n')), 408);
  assertJsonError(await exchange(() => undefined), 408); // connected, silent
});

test('a body that stalls → 408 JSON', async () => {
  assertJsonError(
    await exchange((s) => s.write(`${POST('/echo', 'Content-Length: 50\r\n')}{"a"`)),
    408,
  );
});

test('once the body is complete the idle timer stops: a slow handler still answers', async () => {
  const text = await exchange((s) =>
    s.write(`${POST('/slow', 'Content-Length: 2\r\nConnection: close\r\n')}{}`),
  );
  assert.match(text, /^HTTP\/1\.1 200 /);
  assert.match(text, /\{"done":true\}$/);
});

test('keep-alive is untouched: two requests on one connection', async () => {
  const one = `${POST('/echo', 'Content-Length: 7\r\n')}{"n":1}`;
  const two = `${POST('/echo', 'Content-Length: 7\r\nConnection: close\r\n')}{"n":2}`;
  const text = await exchange((s) => {
    s.write(one);
    setTimeout(() => s.write(two), 50);
  });
  assert.equal(text.match(/HTTP\/1\.1 200 /g)?.length, 2, text);
});

test('headers over the limit → 431, a request line over it → 414, garbage → 400', async () => {
  const big = 'a'.repeat(32 * 1024);
  assertJsonError(
    await exchange((s) => s.write(`GET /echo HTTP/1.1\r\nX-Big: ${big}\r\n\r\n`)),
    431,
  );
  assertJsonError(await exchange((s) => s.write(`GET /echo?${big} HTTP/1.1\r\n\r\n`)), 414);
  assertJsonError(await exchange((s) => s.write('NOT HTTP AT ALL\r\n\r\n')), 400);
});

test('JSON nested deeper than HTTP_MAX_JSON_DEPTH → 400; at the limit it parses', async () => {
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  const call = (body: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
  const atLimit = await call(deep(8));
  assert.equal(atLimit.status, 200);
  const over = await call(deep(100_000).slice(0, 4000)); // under the size cap, far too deep
  assert.equal(over.status, 400);
  assert.match(((await over.json()) as { message: string }).message, /nesting depth/);
});

test('integers beyond 2^53 reach the handler exact (BigInt); other numbers as JSON.parse gives them', async () => {
  const call = (body: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${port}/numbers`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
      body,
    });
  const exact = await call(
    '{"a":9007199254740993,"n":{"list":[1,-9223372036854775808]},"f":1.5e300,"s":"9007199254740993"}',
  );
  assert.equal(exact.status, 200);
  assert.deepEqual(await exact.json(), [
    'bigint:9007199254740993',
    'bigint:-9223372036854775808',
    'number:1.5e+300',
    'string:9007199254740993',
  ]);
  const plain = await call('{"a":9007199254740991,"n":{"list":[1,2]},"f":1,"s":"x"}');
  assert.deepEqual(await plain.json(), [
    'number:9007199254740991',
    'number:2',
    'number:1',
    'string:x',
  ]);
  // both guarantees hold for such bodies: the depth limit first, then JSON.parse's verdict
  const deep = await call(`${'['.repeat(20)}9007199254740993${']'.repeat(20)}`);
  assert.equal(deep.status, 400);
  assert.match(((await deep.json()) as { message: string }).message, /nesting depth/);
  const malformed = await call('{"a":9007199254740993,}');
  assert.equal(malformed.status, 400);
  assert.equal(((await malformed.json()) as { error_code: number }).error_code, 400);
});

/** Streams a body that would never end; resolves with the answer the client got. */
function endlessUpload(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers });
    const chunk = Buffer.alloc(16 * 1024, 0x5b);
    let answered = false;
    const pump = (): void => {
      while (!answered) if (!req.write(chunk)) return void req.once('drain', pump);
    };
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection });
        req.destroy();
      });
    });
    req.on('error', reject);
    pump();
  });
}

test('a body declared over the cap → 413 at once, read by a client that is still sending', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await endlessUpload('/echo', {
      'content-type': 'application/json',
      'content-length': String(2 ** 31),
    });
    assert.equal(r.status, 413);
    assert.equal(r.connection, 'close');
    assert.equal((JSON.parse(r.body) as { error_code: number }).error_code, 413);
  }
});

test('a chunked body → 413 the moment it passes the cap', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await endlessUpload('/echo', { 'content-type': 'application/json' });
    assert.equal(r.status, 413);
    assert.equal(r.connection, 'close');
  }
});

test('any answer to a body declared over the cap closes the connection instead of draining it', async () => {
  const r = await endlessUpload('/ignore-body', {
    'content-type': 'text/plain',
    'content-length': String(2 ** 31),
  });
  assert.equal(r.status, 415);
  assert.equal(r.connection, 'close');
});

test('refusals are counted by error_code', async () => {
  const text = await metrics.registry.metrics();
  const counted = text.split('\n').filter((l) => l.startsWith('kafka_gateway_errors_total{'));
  for (const code of ['400', '408', '413', '414', '431'])
    assert.ok(
      counted.some((l) => l.includes(`error_code="${code}"`)),
      `${code} in ${counted.join(', ')}`,
    );
});
