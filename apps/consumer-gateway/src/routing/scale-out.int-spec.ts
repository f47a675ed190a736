import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { independentKafka } from '../kafka/independent-client.test-support';
import { freePort, waitFor } from '@kafka-gateway/server-kit/testing';

// Scaled mode for real: two consumer-gateway processes sharing a Redis of their own, behind a
// plain round-robin proxy with no stickiness. Replicas are killed and Redis is restarted here,
// so this test owns those processes (only Kafka comes from the stack).
const brokers = process.env['KAFKA_BROKERS'];
if (brokers === undefined) throw new Error('KAFKA_BROKERS is not set (run through npm test)');
const kafka = independentKafka(brokers);
const V2 = 'application/vnd.kafka.v2+json';
const TOKEN = randomUUID() + randomUUID();

let redisPort: number;
let redis: ChildProcess | undefined;
async function startRedis(): Promise<void> {
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await waitFor('redis', async () => {
    const out = await new Promise<string>((resolve) => {
      const p = spawn('redis-cli', ['-p', String(redisPort), 'ping']);
      let s = '';
      p.stdout.on('data', (d: Buffer) => (s += d.toString()));
      p.on('close', () => resolve(s));
    });
    return out.includes('PONG');
  });
}
async function stopRedis(): Promise<void> {
  const r = redis;
  redis = undefined;
  if (r === undefined || r.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    r.once('exit', () => resolve());
    r.kill('SIGTERM');
  });
}

interface Replica {
  readonly id: string;
  readonly url: string;
  readonly metricsUrl: string;
  proc: ChildProcess;
}
const replicas: Replica[] = [];
let proxy: Server;
let proxyUrl: string;
const landed = new Map<string, number>();

async function startReplica(id: string): Promise<Replica> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, [join(__dirname, '..', 'main.js')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env['PATH'],
      KAFKA_BROKERS: brokers,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      INTERNAL_TOKEN: TOKEN,
      INTERNAL_URL: url,
      REPLICA_ID: id,
      ROUTING_OWNERSHIP_TTL_MS: '6000',
      HTTP_PUBLIC_BASE_URL: proxyUrl,
      LOG_LEVEL: 'error',
    },
  });
  const replica = { id, url, metricsUrl: `http://127.0.0.1:${metricsPort}`, proc };
  await waitFor(
    `replica ${id}`,
    async () => (await fetch(`${replica.metricsUrl}/readyz`)).status === 200,
  );
  return replica;
}

/** Round robin over the replicas that accept connections, like nginx with max_fails. */
function startProxy(): Promise<void> {
  let next = 0;
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const attempt = (tries: number): void => {
        const target = replicas[next++ % replicas.length]!;
        const up = request(
          new URL(req.url ?? '/', target.url),
          { method: req.method, headers: req.headers },
          (answer) => {
            landed.set(target.id, (landed.get(target.id) ?? 0) + 1);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        up.on('error', () => {
          if (tries > 0) attempt(tries - 1);
          else res.writeHead(502).end();
        });
        up.end(body);
      };
      attempt(replicas.length);
    });
  });
  return new Promise((r) => proxy.listen(0, '127.0.0.1', () => r()));
}

before(async () => {
  redisPort = await freePort();
  await startRedis();
  await startProxy();
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  replicas.push(await startReplica('replica-a'), await startReplica('replica-b'));
});

after(async () => {
  for (const r of replicas) r.proc.kill('SIGKILL');
  await stopRedis();
  proxy.close();
});

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  accept?: string,
): Promise<{ status: number; body: unknown; ms: number }> {
  const started = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': V2, ...(accept === undefined ? {} : { accept }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    ms: performance.now() - started,
  };
}

async function topicWith(records: number): Promise<string> {
  const topic = `scale-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: records }, (_, i) => ({ value: `v${i}` })),
  });
  await producer.disconnect();
  return topic;
}

/** The whole v2 flow through `base`; every request must succeed. Answers the records seen. */
async function flow(
  base: string,
  group: string,
  name: string,
  topic: string,
  expected: number,
  create = true,
): Promise<number> {
  const path = `/consumers/${group}/instances/${name}`;
  if (create) {
    const c = await call(base, 'POST', `/consumers/${group}`, {
      name,
      format: 'binary',
      'auto.offset.reset': 'earliest',
    });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(
      (c.body as { base_uri: string }).base_uri,
      `${proxyUrl}${path}`,
      'base_uri is the public URL',
    );
  }
  const s = await call(base, 'POST', `${path}/subscription`, { topics: [topic] });
  assert.equal(s.status, 204, JSON.stringify(s.body));
  let seen = 0;
  const deadline = Date.now() + 30_000;
  while (seen < expected && Date.now() < deadline) {
    const r = await call(
      base,
      'GET',
      `${path}/records?timeout=500`,
      undefined,
      'application/vnd.kafka.binary.v2+json',
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    seen += (r.body as unknown[]).length;
  }
  const o = await call(base, 'POST', `${path}/offsets`);
  assert.equal(o.status, 200, JSON.stringify(o.body));
  return seen;
}

test('the whole consumer flow succeeds wherever each request lands (20 rounds)', async () => {
  const topic = await topicWith(10);
  for (let round = 0; round < 20; round++) {
    const group = `scale-g-${randomUUID().slice(0, 8)}`;
    const seen = await flow(proxyUrl, group, `c${round}`, topic, 10);
    assert.equal(seen, 10);
    const d = await call(proxyUrl, 'DELETE', `/consumers/${group}/instances/c${round}`);
    assert.equal(d.status, 204, JSON.stringify(d.body));
    const gone = await call(
      proxyUrl,
      'GET',
      `/consumers/${group}/instances/c${round}/subscription`,
    );
    assert.equal(gone.status, 404);
    assert.equal((gone.body as { error_code: number }).error_code, 40403);
  }
  assert.ok(
    (landed.get('replica-a') ?? 0) > 20 && (landed.get('replica-b') ?? 0) > 20,
    JSON.stringify([...landed]),
  );
  const forwarded = await Promise.all(
    replicas.map(async (r) => {
      const text = await (await fetch(`${r.metricsUrl}/metrics`)).text();
      return Number(
        /kafka_gateway_forwarded_requests_total\{[^}]*outcome="forwarded"[^}]*\} (\d+)/.exec(
          text,
        )?.[1] ?? 0,
      );
    }),
  );
  assert.ok(
    forwarded.every((n) => n > 0),
    `both replicas forwarded: ${forwarded.join(',')}`,
  );
});

test('Redis down: owners keep serving, forwarded requests fail fast with 503/50303; back up: all works again', async () => {
  const [a, b] = replicas as [Replica, Replica];
  const topic = await topicWith(4);
  const group = `scale-redis-${randomUUID().slice(0, 8)}`;
  for (const [r, name] of [
    [a, 'on-a'],
    [b, 'on-b'],
  ] as const) {
    const c = await call(r.url, 'POST', `/consumers/${group}`, {
      name,
      'auto.offset.reset': 'earliest',
    });
    assert.equal(c.status, 200);
  }
  await stopRedis();
  const onOwner = await call(a.url, 'POST', `/consumers/${group}/instances/on-a/subscription`, {
    topics: [topic],
  });
  assert.equal(onOwner.status, 204, 'a request that lands on the owner works without Redis');
  const viaOther = await call(b.url, 'GET', `/consumers/${group}/instances/on-a/subscription`);
  assert.equal(viaOther.status, 503, JSON.stringify(viaOther.body));
  assert.equal((viaOther.body as { error_code: number }).error_code, 50303);
  assert.ok(viaOther.ms < 2000, `failed fast (${viaOther.ms.toFixed(0)} ms)`);

  await startRedis(); // empty: no persistence, every record is gone
  // Redis restarted: no live instance is broken, through the round-robin proxy
  await waitFor(
    'ownership re-registered',
    async () =>
      (await call(b.url, 'GET', `/consumers/${group}/instances/on-a/subscription`)).status === 200,
    10_000,
  );
  for (const name of ['on-a', 'on-b']) {
    const seen = await flow(proxyUrl, group, name, topic, name === 'on-a' ? 4 : 0, false);
    if (name === 'on-a') assert.equal(seen, 4);
  }
});

test('killing a replica: only its instances answer 40403, the other replica’s keep working', async () => {
  const [a, b] = replicas as [Replica, Replica];
  const topic = await topicWith(6);
  const group = `scale-kill-${randomUUID().slice(0, 8)}`;
  for (const [r, name] of [
    [a, 'keep'],
    [b, 'lost'],
  ] as const) {
    // separate groups: a killed member would hold its partitions until its session times out
    const g = `${group}-${name}`;
    const c = await call(r.url, 'POST', `/consumers/${g}`, {
      name,
      'auto.offset.reset': 'earliest',
    });
    assert.equal(c.status, 200);
    const s = await call(r.url, 'POST', `/consumers/${g}/instances/${name}/subscription`, {
      topics: [topic],
    });
    assert.equal(s.status, 204);
  }
  b.proc.kill('SIGKILL');
  await new Promise((r) => b.proc.once('exit', r));
  for (let i = 0; i < 4; i++) {
    const lost = await call(
      proxyUrl,
      'GET',
      `/consumers/${group}-lost/instances/lost/subscription`,
    );
    assert.equal(lost.status, 404, JSON.stringify(lost.body));
    assert.equal((lost.body as { error_code: number }).error_code, 40403);
  }
  const seen = await flow(proxyUrl, `${group}-keep`, 'keep', topic, 6, false);
  assert.equal(seen, 6, 'the surviving instance keeps consuming');
});
