/// <reference lib="dom" />
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '@kafka-gateway/server-kit/testing';
import { createTopic, kafka, stack, uid, V2 } from './support';

/**
 * Streaming consume in a real browser (Debian chromium, headless, driven by playwright-core).
 * The stack's gateways run without CORS, so this test starts its own consumer-gateway process
 * (one replica, in-memory ownership) against the stack's Kafka with CORS_ALLOWED_ORIGINS set to
 * the page's origin only, behind a small TCP proxy the test can cut to force a reconnect.
 */

const CHROMIUM = '/usr/bin/chromium';
const children: ChildProcess[] = [];
const servers: (Server | ReturnType<typeof createTcpServer>)[] = [];
let browser: Browser | undefined;

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
  for (const c of children) c.kill('SIGTERM');
});

async function waitFor(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready within ${ms} ms`);
}

async function startGateway(allowedOrigin: string): Promise<string> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const main = join(__dirname, '..', '..', '..', 'apps', 'consumer-gateway', 'dist', 'main.js');
  const proc = spawn(process.execPath, [main], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env['PATH'],
      KAFKA_BROKERS: stack.brokers.join(','),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      CORS_ALLOWED_ORIGINS: allowedOrigin,
      CONSUMER_STREAM_HEARTBEAT_MS: '1000',
      LOG_LEVEL: 'error',
    },
  });
  children.push(proc);
  await waitFor(
    'test consumer-gateway',
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200,
  );
  return `http://127.0.0.1:${port}`;
}

/** A TCP proxy to `target`; `cut()` drops every open connection (the browser reconnects). */
async function startCuttableProxy(target: string): Promise<{ url: string; cut: () => void }> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(Number(port), hostname);
    open.add(client);
    open.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  servers.push(server);
  const listenPort = await freePort();
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${listenPort}`,
    cut: () => {
      for (const s of open) s.destroy();
    },
  };
}

/** Serves one empty HTML page; its origin is what CORS sees. */
async function startPageServer(): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>sse</title><body></body>');
  });
  servers.push(server);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

test(
  'a browser EventSource receives records, resumes after a cut with Last-Event-ID; CORS allows only the configured origin',
  {
    skip: existsSync(CHROMIUM)
      ? false
      : `${CHROMIUM} is not installed (scripts/lib.sh installs it)`,
  },
  async () => {
    const allowedPage = await startPageServer();
    const otherPage = await startPageServer();
    const gateway = await startGateway(allowedPage);
    const proxy = await startCuttableProxy(gateway);

    const topic = await createTopic(1);
    const created = await fetch(`${gateway}/consumers/${uid('g')}`, {
      method: 'POST',
      headers: { 'content-type': V2 },
      body: JSON.stringify({ format: 'json', 'auto.offset.reset': 'earliest' }),
    });
    assert.equal(created.status, 200);
    const { base_uri } = (await created.json()) as { base_uri: string };
    const path = new URL(base_uri).pathname;
    const subscribed = await fetch(`${gateway}${path}/subscription`, {
      method: 'POST',
      headers: { 'content-type': V2 },
      body: JSON.stringify({ topics: [topic] }),
    });
    assert.equal(subscribed.status, 204);
    const producer = kafka.producer();
    await producer.connect();
    const produce = (values: number[]): Promise<unknown> =>
      producer.send({ topic, messages: values.map((n) => ({ value: JSON.stringify({ n }) })) });
    await produce([0, 1, 2]);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    await page.goto(allowedPage);
    const streamUrl = `${proxy.url}${path}/records`;
    await page.evaluate((url) => {
      const w = window as unknown as { got: { id: string; n: number }[]; opens: number };
      w.got = [];
      w.opens = 0;
      const source = new EventSource(url);
      source.onopen = () => w.opens++;
      source.onmessage = (e: MessageEvent<string>) =>
        w.got.push({
          id: e.lastEventId,
          n: (JSON.parse(e.data) as { value: { n: number } }).value.n,
        });
    }, streamUrl);
    const received = (): Promise<{ got: { id: string; n: number }[]; opens: number }> =>
      page.evaluate(() => {
        const w = window as unknown as { got: { id: string; n: number }[]; opens: number };
        return { got: w.got, opens: w.opens };
      });
    await waitFor(
      'three records in the page',
      async () => (await received()).got.length >= 3,
      30_000,
    );

    // cut the connection: EventSource reconnects by itself, sending Last-Event-ID
    proxy.cut();
    await waitFor('the page reconnected', async () => (await received()).opens >= 2, 30_000);
    await produce([3, 4]);
    await waitFor(
      'five records in the page',
      async () => (await received()).got.length >= 5,
      30_000,
    );
    const { got, opens } = await received();
    assert.ok(opens >= 2, `EventSource opened ${opens} times`);
    assert.deepEqual(
      got.map((g) => g.id),
      [0, 1, 2, 3, 4].map((o) => `${topic}:0:${o}`),
      'every record once, in order, across the reconnect',
    );
    assert.deepEqual(
      got.map((g) => g.n),
      [0, 1, 2, 3, 4],
    );

    // CORS: the configured origin may read a cross-origin answer, another origin may not
    const readFrom = (url: string): Promise<string> =>
      page.evaluate(async (u) => {
        try {
          const r = await fetch(u, { headers: { accept: 'application/vnd.kafka.v2+json' } });
          return `status ${r.status}`;
        } catch {
          return 'blocked';
        }
      }, url);
    assert.equal(await readFrom(`${gateway}${path}/subscription`), 'status 200');
    const other = await browser.newPage();
    await other.goto(otherPage);
    const blocked = await other.evaluate(async (u) => {
      try {
        await fetch(u, { headers: { accept: 'application/vnd.kafka.v2+json' } });
        return 'read';
      } catch {
        return 'blocked';
      }
    }, `${gateway}${path}/subscription`);
    assert.equal(blocked, 'blocked');
    await producer.disconnect();
    await fetch(`${gateway}${path}`, { method: 'DELETE' });
  },
);
