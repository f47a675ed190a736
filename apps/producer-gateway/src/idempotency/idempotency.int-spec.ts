import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { gatewayMain, type GatewayProcess, spawnGateway } from '@kafka-gateway/server-kit/testing';

// Two producer-gateway processes (the built dist/main.js, as pods run it) sharing the stack's
// Kafka and Redis: idempotency keys claimed on one replica are seen by the other, also after
// the first one is killed.
const brokers = process.env['KAFKA_BROKERS'];
const redisUrl = process.env['REDIS_URL'];
const skip =
  brokers === undefined || redisUrl === undefined
    ? 'needs the stack (KAFKA_BROKERS, REDIS_URL)'
    : false;
const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const REQUEST_TIMEOUT_MS = 15_000;

const replicas: GatewayProcess[] = [];
const prefix = `idempotency-it-${randomUUID()}:`;

async function startReplica(): Promise<GatewayProcess> {
  const r = await spawnGateway(gatewayMain('producer-gateway'), {
    KAFKA_BROKERS: brokers,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  });
  replicas.push(r);
  return r;
}

async function createTopic(topic: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers!.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

/** Records in the topic, read back with plain kafkajs (the high watermark of its one partition). */
async function recordsIn(topic: string): Promise<number> {
  const admin = new Kafka({ brokers: brokers!.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

interface Answer {
  status: number;
  replayed: string | null;
  body: { offsets?: { partition: number; offset: number }[]; error_code?: number };
}

async function produce(
  r: GatewayProcess,
  topic: string,
  key: string,
  value: string,
): Promise<Answer> {
  const res = await fetch(`${r.url}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': BINARY, accept: V2, 'idempotency-key': key },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    body: JSON.stringify({ records: [{ value: Buffer.from(value).toString('base64') }] }),
  });
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed'),
    body: (await res.json()) as Answer['body'],
  };
}

let a: GatewayProcess;
let b: GatewayProcess;

before(async () => {
  if (skip !== false) return;
  [a, b] = await Promise.all([startReplica(), startReplica()]);
});

after(() => {
  for (const r of replicas) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
});

test('a retried request returns the same offsets; the topic holds one copy', { skip }, async () => {
  const topic = `idempotency-${randomUUID()}`;
  await createTopic(topic);
  const key = randomUUID();
  const first = await produce(a, topic, key, 'once');
  assert.equal(first.status, 200);
  assert.equal(first.replayed, null);
  const retry = await produce(a, topic, key, 'once');
  assert.equal(retry.status, 200);
  assert.equal(retry.replayed, 'true');
  assert.deepEqual(retry.body, first.body);
  // the other replica sees the same key through Redis
  const elsewhere = await produce(b, topic, key, 'once');
  assert.equal(elsewhere.replayed, 'true');
  assert.deepEqual(elsewhere.body, first.body);
  assert.equal(await recordsIn(topic), 1);

  const reused = await produce(a, topic, key, 'another body');
  assert.equal(reused.status, 422);
  assert.equal(reused.body.error_code, 42210);
  assert.equal(await recordsIn(topic), 1, 'a reused key produces nothing');

  // concurrent duplicates on both replicas: one produce, every answer the same
  const key2 = randomUUID();
  const answers = await Promise.all([
    produce(a, topic, key2, 'concurrent'),
    produce(b, topic, key2, 'concurrent'),
    produce(a, topic, key2, 'concurrent'),
  ]);
  for (const x of answers) assert.equal(x.status, 200);
  assert.equal(answers.filter((x) => x.replayed === null).length, 1, 'exactly one ran');
  for (const x of answers) assert.deepEqual(x.body, answers[0].body);
  assert.equal(await recordsIn(topic), 2);
});

test('retrying through a replica restart does not produce twice', { skip }, async () => {
  const topic = `idempotency-restart-${randomUUID()}`;
  await createTopic(topic);
  const key = randomUUID();
  const first = await produce(a, topic, key, 'survives');
  assert.equal(first.status, 200);
  a.proc.kill('SIGKILL');
  await new Promise((resolve) => a.proc.once('exit', resolve));
  const retry = await produce(b, topic, key, 'survives');
  assert.equal(retry.status, 200);
  assert.equal(retry.replayed, 'true');
  assert.deepEqual(retry.body, first.body);
  // a replica started in A's place answers the same
  const restarted = await startReplica();
  const again = await produce(restarted, topic, key, 'survives');
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.replayed, 'true');
  assert.deepEqual(again.body, first.body);
  assert.equal(await recordsIn(topic), 1);
});
