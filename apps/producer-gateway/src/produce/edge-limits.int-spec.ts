import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, startGateway, type RunningGateway } from '@kafka-gateway/server-kit';
import type { Admin } from 'kafkajs';
import { AppModule } from '../app.module';
import { loadProducerConfig } from '../config/producer.config';
import { independentKafka } from '../kafka/independent-client.test-support';
import { isStreamingProduce } from './v3/streaming-route';

// Quotas, endpoint lists and CORS of a producer gateway in this process against the stack's
// Kafka (`infra/stack up`; KAFKA_BROKERS), with Basic authentication over a credentials file
// the test writes (alice, bob, streamer, warmup). Every record the gateway accepted is read back
// with a plain kafkajs consumer, exactly once, and none it refused.
const brokers = process.env['KAFKA_BROKERS'];
const skip = brokers === undefined ? 'needs the stack (infra/stack up; KAFKA_BROKERS)' : false;

const V2_BINARY = 'application/vnd.kafka.binary.v2+json';
const REQUESTS_PER_SECOND = 3;
const STREAM_BYTES_PER_SECOND = 2000;
const APP_ORIGIN = 'https://app.example.com';
/** Cheap hashes: the test checks quotas, not password hashing (4 is bcrypt's minimum cost). */
const TEST_BCRYPT_COST = '4';
const HASH_PASSWORD = join(__dirname, '..', '..', '..', '..', 'scripts', 'hash-password.mjs');
const USERS = ['alice', 'bob', 'streamer', 'warmup'];
const passwords = new Map(USERS.map((u) => [u, randomUUID()]));

function basic(user: string): Record<string, string> {
  const credentials = Buffer.from(`${user}:${passwords.get(user)!}`).toString('base64');
  return { authorization: `Basic ${credentials}` };
}

let gw: RunningGateway;
let base: string;
let admin: Admin;
let dir: string | undefined;
let clusterId: string;
const topic = `quota-${randomUUID()}`;

before(
  async () => {
    if (skip !== false) return;
    dir = mkdtempSync(join(tmpdir(), 'edge-limits-'));
    const quotaFile = join(dir, 'quotas.yaml');
    writeFileSync(
      quotaFile,
      [
        'principals:',
        '  streamer:',
        '    produce_requests_per_second: 0',
        `    produce_bytes_per_second: ${STREAM_BYTES_PER_SECOND}`,
        '  warmup:',
        '    produce_requests_per_second: 0',
      ].join('\n'),
    );
    const usersFile = join(dir, 'users.txt');
    // the credentials file as an operator makes it (scripts/hash-password.mjs, password on stdin)
    const lines = USERS.map((u) =>
      execFileSync(process.execPath, [HASH_PASSWORD, u, '--cost', TEST_BCRYPT_COST], {
        input: passwords.get(u)!,
      }).toString(),
    );
    writeFileSync(usersFile, lines.join(''));
    admin = independentKafka(brokers!).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 1 },
        { topic: `${topic}-warmup`, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    const config = loadProducerConfig({
      KAFKA_BROKERS: brokers,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
      QUOTA_PRODUCE_REQUESTS_PER_SECOND: String(REQUESTS_PER_SECOND),
      QUOTA_FILE: quotaFile,
      API_ENDPOINTS_BLOCKLIST: 'api.v3.topics.delete',
      CORS_ALLOWED_ORIGINS: APP_ORIGIN,
      AUTH_METHODS: 'basic',
      AUTH_BASIC_FILE: usersFile,
    });
    const logger = createLogger('producer-gateway-test', 'silent');
    gw = await startGateway({
      rootModule: AppModule.forRoot(config, logger),
      config,
      logger,
      handleSignals: false,
      streamingBody: isStreamingProduce,
    });
    base = `http://127.0.0.1:${gw.port}`;
    // the producer connects in the background: wait until a produce is acknowledged
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await produceV2('warmup', 'warmup', `${topic}-warmup`).catch(() => undefined);
      if (res?.status === 200) break;
      if (Date.now() > deadline) throw new Error('the gateway did not reach Kafka');
      await new Promise((r) => setTimeout(r, 300));
    }
    const clusters = (await (
      await fetch(`${base}/v3/clusters`, { headers: basic('bob') })
    ).json()) as {
      data: { cluster_id: string }[];
    };
    clusterId = clusters.data[0]!.cluster_id;
  },
  { timeout: 60_000 },
);

after(async () => {
  await gw?.shutdown('test end');
  await admin?.deleteTopics({ topics: [topic, `${topic}-warmup`] }).catch(() => undefined);
  await admin?.disconnect();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function produceV2(principal: string, value: string, to = topic): Promise<Response> {
  return fetch(`${base}/topics/${to}`, {
    method: 'POST',
    headers: { 'content-type': V2_BINARY, ...basic(principal) },
    body: JSON.stringify({ records: [{ value: Buffer.from(value).toString('base64') }] }),
  });
}

/** Everything in the topic, read with a plain consumer of a fresh group. */
async function readBack(expected: number): Promise<string[]> {
  const consumer = independentKafka(brokers!).consumer({ groupId: `read-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  const end = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  assert.equal(end, expected, 'the topic holds exactly the accepted records');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${end}`)), 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
        if (values.length >= end) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

const accepted: string[] = [];

test(
  'over the produce request quota: 429 + Retry-After; another principal is unaffected',
  { skip },
  async (t) => {
    const answers: { value: string; status: number; retryAfter: string | null }[] = [];
    for (let i = 0; i < 10; i++) {
      const value = `alice-${i}`;
      const res = await produceV2('alice', value);
      const body = (await res.json()) as { error_code?: number; offsets?: { offset: number }[] };
      answers.push({ value, status: res.status, retryAfter: res.headers.get('retry-after') });
      if (res.status === 200) accepted.push(value);
      else assert.equal(body.error_code, 429);
    }
    const refused = answers.filter((a) => a.status === 429);
    t.diagnostic(`alice: ${answers.length - refused.length} accepted, ${refused.length} refused`);
    assert.ok(refused.length >= 1, JSON.stringify(answers));
    assert.ok(accepted.length >= REQUESTS_PER_SECOND, 'the burst is admitted');
    assert.ok(
      refused.every((a) => Number(a.retryAfter) >= 1),
      'each refusal says when to retry',
    );
    assert.deepEqual(
      answers.map((a) => a.status).filter((s) => s !== 200 && s !== 429),
      [],
    );
    for (let i = 0; i < REQUESTS_PER_SECOND; i++) {
      const res = await produceV2('bob', `bob-${i}`);
      assert.equal(res.status, 200, 'bob is not limited by alice');
      await res.text();
      accepted.push(`bob-${i}`);
    }
  },
);

test(
  'a streaming v3 produce over its bytes quota: refused records get 429 lines and are not produced',
  { skip },
  async (t) => {
    const payload = 'x'.repeat(300);
    const records = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ value: { type: 'STRING', data: `stream-${i}-${payload}` } }),
    );
    const res = await fetch(`${base}/v3/clusters/${clusterId}/topics/${topic}/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basic('streamer') },
      body: records.join('\n'),
    });
    assert.equal(res.status, 200);
    const lines = (await res.text())
      .split('\r\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { error_code: number; message?: string });
    assert.equal(lines.length, records.length, 'one line per record, in order');
    const ok = lines.flatMap((l, i) => (l.error_code === 200 ? [`stream-${i}-${payload}`] : []));
    const refused = lines.filter((l) => l.error_code === 429);
    t.diagnostic(`stream: ${ok.length} records accepted, ${refused.length} refused`);
    assert.ok(ok.length >= 1, 'the burst admits the first records');
    assert.ok(refused.length >= 1, 'records past the quota are refused');
    assert.equal(ok.length + refused.length, records.length, JSON.stringify(lines.slice(0, 3)));
    assert.equal(refused[0]!.message, 'Request rate limit exceeded');
    accepted.push(...ok);
  },
);

test('every accepted record is in Kafka exactly once, and no refused one', { skip }, async () => {
  const values = await readBack(accepted.length);
  assert.deepEqual([...values].sort(), [...accepted].sort());
  assert.equal(new Set(values).size, values.length, 'no duplicates');
});

test('a blocklisted v3 topic delete answers 405 and does not delete', { skip }, async () => {
  const res = await fetch(`${base}/v3/clusters/${clusterId}/topics/${topic}`, {
    method: 'DELETE',
    headers: basic('alice'),
  });
  assert.equal(res.status, 405);
  assert.deepEqual(await res.json(), { error_code: 405, message: 'HTTP 405 Method Not Allowed' });
  assert.ok((await admin.listTopics()).includes(topic), 'the topic is still there');
  const get = await fetch(`${base}/v3/clusters/${clusterId}/topics/${topic}`, {
    headers: basic('alice'),
  });
  assert.equal(get.status, 200, 'other topic endpoints are served');
});

test(
  'CORS: preflight and actual requests from an allowed and a disallowed origin',
  { skip },
  async () => {
    const url = `${base}/v3/clusters/${clusterId}/topics`;
    const preflight = (origin: string) =>
      fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const ok = await preflight(APP_ORIGIN);
    assert.equal(
      ok.status,
      204,
      'a preflight carries no credentials: answered before authentication',
    );
    assert.equal(ok.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /GET/);
    assert.equal(ok.headers.get('access-control-allow-headers'), 'authorization');
    const bad = await preflight('https://evil.example');
    assert.equal(bad.status, 403);
    assert.equal(bad.headers.get('access-control-allow-origin'), null);
    assert.equal(((await bad.json()) as { error_code: number }).error_code, 403);

    const actual = await fetch(url, { headers: { origin: APP_ORIGIN, ...basic('bob') } });
    assert.equal(actual.status, 200);
    assert.equal(actual.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.match(actual.headers.get('vary') ?? '', /Origin/);
    const other = await fetch(url, {
      headers: { origin: 'https://evil.example', ...basic('bob') },
    });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const anonymous = await fetch(url, { headers: { origin: APP_ORIGIN } });
    assert.equal(anonymous.status, 401, 'an actual request still needs credentials');
    assert.equal(anonymous.headers.get('access-control-allow-origin'), APP_ORIGIN);
  },
);
