import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import type { AccessLogLevel } from '../config/common.config';
import { requestLogMiddleware } from './request-log.middleware';

async function serve(level: AccessLogLevel): Promise<{
  url: string;
  lines: Record<string, unknown>[];
  close(): void;
}> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done): void {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const app = express();
  app.use(requestLogMiddleware(pino({ level: 'debug' }, sink), level));
  app.post('/topics/:topic', (_req, res) => void res.status(207).json({ ok: true }));
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, lines, close: () => server.close() };
}

test('one access line per request: id, route template, topic, status, duration; no headers or query', async () => {
  const s = await serve('info');
  try {
    const res = await fetch(`${s.url}/topics/orders?token=q-s3cret`, {
      method: 'POST',
      headers: { 'x-request-id': 'abc-123', authorization: 'Basic aDQtczNjcmV0' },
      body: '{"records":[{"value":"cGF5bG9hZC1zM2NyZXQ="}]}',
    });
    assert.equal(res.headers.get('x-request-id'), 'abc-123', 'a valid client id is kept');
    await res.text();
    await new Promise((r) => setTimeout(r, 20));
    const line = s.lines.find((l) => l['msg'] === 'request');
    assert.ok(line !== undefined, JSON.stringify(s.lines));
    assert.equal(line['reqId'], 'abc-123');
    assert.equal(line['route'], '/topics/:topic');
    assert.equal(line['topic'], 'orders');
    assert.equal(line['status'], 207);
    assert.equal(line['method'], 'POST');
    assert.equal(typeof line['durationMs'], 'number');
    assert.equal(line['level'], 30);
    const all = JSON.stringify(s.lines);
    for (const secret of ['s3cret', 'aDQtczNjcmV0', 'cGF5bG9hZC1zM2NyZXQ']) {
      assert.ok(!all.includes(secret), `${secret} leaked: ${all}`);
    }
  } finally {
    s.close();
  }
});

test('an unusable client id is replaced by a UUID; LOG_ACCESS=off logs nothing but keeps the id', async () => {
  const s = await serve('off');
  try {
    const res = await fetch(`${s.url}/topics/t`, {
      method: 'POST',
      headers: { 'x-request-id': 'has spaces and is <bad>' },
    });
    await res.text();
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(s.lines, []);
  } finally {
    s.close();
  }
});
