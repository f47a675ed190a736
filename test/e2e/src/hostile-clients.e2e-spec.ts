import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTopic, stack, uid } from './support';

// Slow, huge and malformed requests, through the entry point and straight at a gateway replica.
// Every answer is a Confluent error body; where a layer can only close the connection (nginx
// on a timeout), the close must come within a bound. See infra/README.md ("Hostile clients").

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set: source the stack.env`);
  return v;
}

const edge = stack.gatewayUrl;
const producer = env('PRODUCER_URL');
const consumer = env('CONSUMER_URL');
const runDir = env('STACK_RUN_DIR');
const repo = resolve(__dirname, '../../..');
const V2_BINARY = 'application/vnd.kafka.binary.v2+json';
const V2_JSON_FORMAT = 'application/vnd.kafka.json.v2+json';
const V2 = 'application/vnd.kafka.v2+json';
/** A close is expected well before this; it only keeps a broken server from hanging the run. */
const CLOSE_DEADLINE_MS = 30_000;

interface Exchange {
  /** Everything the server sent before it closed the connection. */
  text: string;
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
}

/** Raw bytes in, everything the server answers until it closes the connection. */
function exchange(base: string, send: (s: Socket) => void): Promise<Exchange> {
  const { hostname, port } = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const s = connect(Number(port), hostname, () => send(s));
    let text = '';
    const deadline = setTimeout(() => {
      s.destroy();
      reject(new Error(`${base}: connection still open after ${CLOSE_DEADLINE_MS} ms`));
    }, CLOSE_DEADLINE_MS);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', () => undefined); // a reset after the answer is fine; the text tells
    s.on('close', () => {
      clearTimeout(deadline);
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const m = /^HTTP\/1\.1 (\d{3})/.exec(statusLine);
      resolvePromise({
        text,
        status: m ? Number(m[1]) : undefined,
        headers,
        body: rest.join('\r\n\r\n'),
      });
    });
  });
}

function assertConfluentError(
  r: { status: number | undefined; headers: Record<string, string>; body: string },
  status: number,
  errorCode: number,
  where: string,
): void {
  assert.equal(r.status, status, `${where}: ${JSON.stringify(r)}`);
  assert.match(r.headers['content-type'] ?? '', /^application\/(vnd\.kafka\.v2\+)?json/, where);
  const body = JSON.parse(r.body) as { error_code: unknown; message: unknown };
  assert.deepEqual(Object.keys(body).sort(), ['error_code', 'message'], where);
  assert.equal(body.error_code, errorCode, where);
  assert.equal(typeof body.message, 'string', where);
}

// ---------------------------------------------------------------------------------------------
// the gateway processes: alive and unchanged at the end, RSS while a huge body is refused

interface Replica {
  name: string;
  pid: number;
}

function replicas(app: 'producer' | 'consumer'): Replica[] {
  const dir = join(runDir, 'pids');
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${app}-gateway`) && f.endsWith('.pid'))
    .map((f) => ({
      name: f.replace(/\.pid$/, ''),
      pid: Number(readFileSync(join(dir, f), 'utf8').split(' ')[0]),
    }));
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

function maxBodyBytes(pid: number): number {
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const set = environ.find((e) => e.startsWith('HTTP_MAX_BODY_BYTES='));
  return set === undefined ? 64 * 1024 * 1024 : Number(set.split('=')[1]);
}

/** Samples every replica's RSS while `work` runs; the largest rise of any one of them. */
async function peakRssGrowth<T>(
  pids: number[],
  work: () => Promise<T>,
): Promise<{ result: T; growth: number }> {
  const base = new Map(pids.map((p) => [p, rssBytes(p)]));
  const peak = new Map(base);
  const sample = (): void => {
    for (const p of pids) peak.set(p, Math.max(peak.get(p) ?? 0, rssBytes(p)));
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await work();
    await new Promise((r) => setTimeout(r, 200)); // a last look after the refusal
    sample();
    return {
      result,
      growth: Math.max(...pids.map((p) => (peak.get(p) ?? 0) - (base.get(p) ?? 0))),
    };
  } finally {
    clearInterval(timer);
  }
}

const started = new Map<string, number>();
before(() => {
  for (const r of [...replicas('producer'), ...replicas('consumer')]) started.set(r.name, r.pid);
  assert.ok(started.size >= 2, `gateway pid files under ${runDir}/pids`);
});

async function call(
  base: string,
  method: string,
  path: string,
  body?: string,
  type = V2,
): Promise<Exchange> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': type },
    ...(body === undefined ? {} : { body }),
  });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { text: '', status: res.status, headers, body: await res.text() };
}

// ---------------------------------------------------------------------------------------------
// slow clients

const slowHeaders = (s: Socket): void => void s.write('GET /topics HTTP/1.1\r\nHost: x\r\n');
const slowBody =
  (path: string) =>
  (s: Socket): void =>
    void s.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${V2}\r\nContent-Length: 100\r\n\r\n{"re`,
    );

test('slowloris headers and stalled bodies: 408 from the gateways, a bounded close at the edge', async () => {
  const group = uid('hostile');
  const [edgeHeaders, edgeSilent, edgeBody, ...direct] = await Promise.all([
    exchange(edge, slowHeaders),
    exchange(edge, () => undefined),
    exchange(edge, slowBody('/topics/x')),
    exchange(producer, slowHeaders),
    exchange(consumer, slowHeaders),
    exchange(producer, () => undefined),
    exchange(producer, slowBody('/topics/x')),
    exchange(consumer, slowBody(`/consumers/${group}`)),
  ]);
  // nginx closes a client whose headers do not arrive in time without answering (it cannot
  // send a 408); the gateways' own 408 for a stalled body comes first and passes through
  assert.equal(edgeHeaders.text, '', 'nginx closes slow headers without an answer');
  assert.equal(edgeSilent.text, '', 'nginx closes a silent connection without an answer');
  assertConfluentError(edgeBody, 408, 408, 'edge, stalled body');
  for (const [i, r] of direct.entries()) assertConfluentError(r, 408, 408, `direct #${i}`);
});

// ---------------------------------------------------------------------------------------------
// huge headers and URLs

test('huge headers → 431, huge URLs → 414, garbage → 400: at the edge and at each gateway', async () => {
  const big = 'a'.repeat(64 * 1024);
  for (const base of [edge, producer, consumer]) {
    assertConfluentError(
      await exchange(base, (s) =>
        s.write(`GET /topics HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`),
      ),
      431,
      431,
      `${base} huge header`,
    );
    assertConfluentError(
      await exchange(base, (s) => s.write(`GET /topics?${big} HTTP/1.1\r\nHost: x\r\n\r\n`)),
      414,
      414,
      `${base} huge URL`,
    );
    assertConfluentError(
      await exchange(base, (s) => s.write('NOT HTTP AT ALL\r\n\r\n')),
      400,
      400,
      `${base} garbage`,
    );
  }
});

// ---------------------------------------------------------------------------------------------
// 2 GiB bodies

/** Streams a body that would be 2 GiB; stops as soon as the answer arrives. */
function hugeUpload(
  base: string,
  path: string,
  chunked: boolean,
): Promise<{ status: number; headers: Record<string, string>; body: string; sentBytes: number }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const req = request({
      host: hostname,
      port,
      method: 'POST',
      path,
      agent: false,
      headers: { 'content-type': V2_BINARY, ...(chunked ? {} : { 'content-length': 2 ** 31 }) },
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20); // whitespace: valid JSON padding, if it mattered
    let sentBytes = 0;
    let answered = false;
    const deadline = setTimeout(() => {
      req.destroy();
      reject(new Error(`${base}${path}: no answer after ${(sentBytes / 1e6).toFixed(0)} MB`));
    }, CLOSE_DEADLINE_MS);
    const pump = (): void => {
      while (!answered && sentBytes < 2 ** 31) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        clearTimeout(deadline);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
        resolvePromise({ status: res.statusCode ?? 0, headers, body, sentBytes });
        req.destroy();
      });
    });
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    pump();
  });
}

test('a 2 GiB body, declared or chunked → 413 early, while the gateway stays small', async (t) => {
  const topic = await createTopic();
  const group = uid('hostile');
  const producers = replicas('producer').map((r) => r.pid);
  const consumers = replicas('consumer').map((r) => r.pid);
  const cap = maxBodyBytes(producers[0] ?? 0);
  const cases = [
    { base: edge, path: `/topics/${topic}`, pids: producers },
    { base: producer, path: `/topics/${topic}`, pids: producers },
    { base: edge, path: `/consumers/${group}`, pids: consumers },
    { base: consumer, path: `/consumers/${group}`, pids: consumers },
  ];
  for (const chunked of [false, true]) {
    for (const c of cases) {
      const where = `${c.base}${c.path} ${chunked ? 'chunked' : 'Content-Length 2 GiB'}`;
      const { result, growth } = await peakRssGrowth(c.pids, () =>
        hugeUpload(c.base, c.path, chunked),
      );
      assertConfluentError(result, 413, 413, where);
      t.diagnostic(
        `${where}: 413 after ${(result.sentBytes / 1e6).toFixed(0)} MB sent, ` +
          `RSS +${(growth / 1e6).toFixed(1)} MB`,
      );
      // Refused before the body is read: well under the 2 GiB either way. A declared length is
      // refused before any of it is buffered; a chunked body can only be refused once it has
      // passed the cap, so up to HTTP_MAX_BODY_BYTES of it is held for a moment.
      assert.ok(result.sentBytes < 2 ** 30, `${where}: ${result.sentBytes} bytes sent`);
      const allowed = (chunked ? cap : 0) + 50e6;
      assert.ok(growth < allowed, `${where}: RSS grew ${growth} bytes (allowed ${allowed})`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// deep JSON

test('JSON nested 100,000 deep → 400 (never a 500); at the 1000 limit it is produced', async () => {
  const topic = await createTopic();
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  const hostile = `{"records":[{"value":${deep(100_000)}}]}`;
  for (const base of [edge, producer]) {
    assertConfluentError(
      await call(base, 'POST', `/topics/${topic}`, hostile, V2_JSON_FORMAT),
      400,
      400,
      base,
    );
    assertConfluentError(
      await call(base, 'POST', `/topics/${topic}`, deep(100_000), V2_BINARY),
      400,
      400,
      base,
    );
  }
  for (const base of [edge, consumer]) {
    assertConfluentError(
      await call(base, 'POST', `/consumers/${uid('hostile')}`, `{"name":${deep(100_000)}}`),
      400,
      400,
      base,
    );
  }
  // {"records":[{"value": ... }]} adds three levels
  const atLimit = await call(
    edge,
    'POST',
    `/topics/${topic}`,
    `{"records":[{"value":${deep(997)}}]}`,
    V2_JSON_FORMAT,
  );
  assert.equal(atLimit.status, 200, atLimit.body);
});

// ---------------------------------------------------------------------------------------------
// the entry point's own answers: a private nginx from infra/edge/nginx.conf.tmpl in front of
// fake replicas (dead, resetting, hanging), since the real replicas must not be harmed

function nginxBinary(): string {
  return spawnSync('nginx', ['-v']).error === undefined ? 'nginx' : '/usr/sbin/nginx';
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

async function listen<S extends Server | NetServer>(server: S): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** Replicas that take the request and then reset the connection, counting what they got. */
function resettingReplica(): { server: NetServer; requests: () => number } {
  let requests = 0;
  const server = createServer((s) => {
    s.once('data', () => {
      requests++;
      s.resetAndDestroy();
    });
    s.on('error', () => undefined);
  });
  return { server, requests: () => requests };
}

class PrivateEdge {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'hostile-edge-'));
  url = '';

  /** Renders the template as infra/stack does, with a 1 s read timeout to reach 504 quickly. */
  async start(producerServers: number[], consumerServers: number[]): Promise<void> {
    const port = await freePort();
    const servers = (ports: number[]): string =>
      ports.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=1s;`).join(' ');
    let conf = readFileSync(join(repo, 'infra/edge/nginx.conf.tmpl'), 'utf8')
      .replaceAll('@RUN@', this.dir)
      .replaceAll('@EDGE_PORT@', String(port))
      .replace('@PRODUCER_SERVERS@', servers(producerServers))
      .replace('@CONSUMER_SERVERS@', servers(consumerServers));
    assert.doesNotMatch(conf, /@[A-Z_]+@/, 'a template placeholder this test does not know');
    assert.match(conf, /proxy_read_timeout 300s;/);
    conf = conf.replace('proxy_read_timeout 300s;', 'proxy_read_timeout 1s;');
    mkdirSync(join(this.dir, 'temp'));
    writeFileSync(join(this.dir, 'nginx.conf'), conf);
    const args = ['-c', join(this.dir, 'nginx.conf'), '-p', this.dir];
    const check = spawnSync(nginxBinary(), ['-t', '-q', ...args], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    this.child = spawn(nginxBinary(), [...args, '-g', 'daemon off;'], { stdio: 'ignore' });
    this.url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((r) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy();
          r(true);
        });
        s.on('error', () => r(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('private nginx did not start');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

test('entry point: a dead replica is JSON 502/504, retriable; only failed connects are retried', async () => {
  const resetters = [resettingReplica(), resettingReplica()];
  let liveRequests = 0;
  const live = createHttpServer((req, res) => {
    liveRequests++;
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  const hanging = createServer((s) => s.on('error', () => undefined));
  const servers: (Server | NetServer)[] = [...resetters.map((r) => r.server), live, hanging];
  const [r1, r2, livePort, hangingPort] = await Promise.all(servers.map((s) => listen(s)));
  const [dead1, dead2] = [await freePort(), await freePort()];
  const a = new PrivateEdge();
  const b = new PrivateEdge();
  try {
    await a.start([r1!, r2!], [dead1, livePort!]);
    await b.start([dead1, dead2], [hangingPort!]);

    // a replica that took a POST and then failed: 502, and the request went nowhere else
    for (const method of ['POST', 'GET']) {
      const before = resetters.reduce((n, r) => n + r.requests(), 0);
      const r = await call(a.url, method, '/topics/t', method === 'POST' ? '{}' : undefined);
      assertConfluentError(r, 502, 50003, `${method} to a resetting replica`);
      assert.equal(r.headers['retry-after'], '1');
      const after = resetters.reduce((n, x) => n + x.requests(), 0);
      assert.equal(after - before, 1, `${method} sent to ${after - before} replicas`);
    }
    // a replica that refuses the connection: the request goes to the next one, POST included
    for (let i = 0; i < 4; i++) {
      const r = await call(a.url, 'POST', `/consumers/g${i}`, '{}');
      assert.equal(r.status, 200, r.body);
    }
    assert.equal(liveRequests, 4);
    // no replica reachable at all, and a replica that never answers
    assertConfluentError(await call(b.url, 'GET', '/topics'), 502, 50003, 'all replicas dead');
    const slow = await call(b.url, 'GET', '/consumers/g/instances/i/records');
    assertConfluentError(slow, 504, 50003, 'replica never answers');
    assert.equal(slow.headers['retry-after'], '1');
    // nginx's own refusals come from the same error pages
    assertConfluentError(
      await exchange(b.url, (s) =>
        s.write(`GET /?${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      ),
      414,
      414,
      'private edge 414',
    );
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    for (const s of servers) {
      if ('closeAllConnections' in s) s.closeAllConnections();
      s.close();
    }
  }
});

test('the docker-compose entry point has the same error pages and retry policy, and nginx accepts it', () => {
  const rules = (text: string): string[] =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) =>
        /^(error_page|proxy_next_upstream|client_\w+_timeout|large_client|location = \/_errors|return \d|add_header Retry)/.test(
          l,
        ),
      );
  const local = readFileSync(join(repo, 'infra/edge/nginx.conf.tmpl'), 'utf8');
  const docker = readFileSync(join(repo, 'infra/edge/nginx.docker.conf'), 'utf8');
  assert.ok(rules(local).length >= 20);
  assert.deepEqual(rules(docker), rules(local));
  // the compose service names do not resolve here; the syntax check needs them to
  const dir = mkdtempSync(join(tmpdir(), 'hostile-docker-edge-'));
  try {
    const conf = docker
      .replace(/server (producer|consumer)-gateway:8082;/g, 'server 127.0.0.1:9;')
      .replace('listen 8082;', 'listen 127.0.0.1:9;');
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const check = spawnSync(
      nginxBinary(),
      [
        '-t',
        '-q',
        '-c',
        join(dir, 'nginx.conf'),
        '-p',
        dir,
        '-g',
        `pid ${dir}/nginx.pid; error_log ${dir}/error.log;`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(check.status, 0, check.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// last in this file: everything above left no gateway crashed, restarted or unready
test('every gateway replica is still the same process, alive and ready', async () => {
  for (const [name, pid] of started) {
    assert.doesNotThrow(() => process.kill(pid, 0), `${name} (pid ${pid}) is gone`);
    const now = [...replicas('producer'), ...replicas('consumer')].find((r) => r.name === name);
    assert.equal(now?.pid, pid, `${name} was restarted`);
  }
  for (const url of [...stack.producerMetricsUrls, ...stack.consumerMetricsUrls]) {
    assert.equal((await fetch(`${url}/readyz`)).status, 200, `${url}/readyz`);
  }
});
