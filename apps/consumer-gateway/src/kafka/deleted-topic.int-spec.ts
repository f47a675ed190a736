import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { startGateway, type RunningGateway } from '@kafka-gateway/server-kit';
import pino from 'pino';
import { independentKafka } from './independent-client.test-support';
import { AppModule } from '../app.module';
import { loadConsumerConfig } from '../config/consumer.config';

// A topic deleted under live consumer instances (issue #14): the consumer gateway in-process
// against the real Kafka of the stack, its log lines collected, so the test can count what a
// deletion costs (kafkajs used to crash and restart the consumer every few hundred ms until the
// instance expired) and check that the instance reads the topic again once it is recreated.
const brokers = process.env['KAFKA_BROKERS'];
if (brokers === undefined) throw new Error('KAFKA_BROKERS is not set (run through npm test)');

const kafka = independentKafka(brokers);
const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
/** How long the instance is polled while its topic is gone. */
const GONE_MS = 12_000;
/** Warning lines a deletion may cost per instance: one when it stops, one when it resumes, kafkajs retries until the topic check sees it. */
const MAX_WARNINGS = 10;

const lines: { level: string; msg: string; at: number }[] = [];
let gw: RunningGateway;
let base: string;
let metricsUrl: string;

before(async () => {
  const config = loadConsumerConfig({
    KAFKA_BROKERS: brokers,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const parsed = JSON.parse(l) as { level: string; msg?: string };
        lines.push({ level: parsed.level, msg: parsed.msg ?? '', at: Date.now() });
      }
      done();
    },
  });
  const logger = pino(
    { level: 'warn', formatters: { level: (label) => ({ level: label }) } },
    sink,
  );
  gw = await startGateway({
    rootModule: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
  });
  base = `http://127.0.0.1:${gw.port}`;
  metricsUrl = `http://127.0.0.1:${gw.managementPort}/metrics`;
  const deadline = Date.now() + 20_000;
  while ((await fetch(`http://127.0.0.1:${gw.managementPort}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('consumer gateway not ready');
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await gw.shutdown('test end');
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

/** Produces with a plain kafkajs producer, retrying while a recreated topic's leader settles. */
async function produce(topic: string, values: string[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': V2 },
    body: JSON.stringify(body),
  });
}

async function poll(instance: string): Promise<{ status: number; values: string[]; body: string }> {
  const res = await fetch(`${base}${instance}/records?timeout=1000`, {
    headers: { accept: BINARY },
  });
  const body = await res.text();
  if (res.status !== 200) return { status: res.status, values: [], body };
  const records = JSON.parse(body) as { value: string }[];
  return {
    status: 200,
    values: records.map((r) => Buffer.from(r.value, 'base64').toString('utf8')),
    body,
  };
}

/** Polls until every expected value arrived (or 40 s passed); returns what arrived. */
async function pollUntil(instance: string, expected: readonly string[]): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + 40_000;
  while (!expected.every((v) => seen.includes(v)) && Date.now() < deadline) {
    const r = await poll(instance);
    seen.push(...r.values);
  }
  return seen;
}

async function crashes(): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const m of text.matchAll(
    /^kafka_gateway_kafka_consumer_crashes_total\{[^}]*client="consumer"[^}]*\} (\d+)/gm,
  ))
    sum += Number(m[1]);
  return sum;
}

/**
 * Creates an instance on a fresh topic, reads what is there, deletes the topic and polls it for
 * GONE_MS, recreates it, produces and reads again. Returns the answers while it was gone and the
 * warnings and crashes the deletion cost.
 */
async function deleteUnder(
  attach: (instance: string, topic: string) => Promise<Response>,
): Promise<{ gone: { status: number; body: string }[]; warnings: string[]; crashes: number }> {
  const topic = `int-del-${randomUUID().slice(0, 8)}`;
  const group = `int-del-${randomUUID().slice(0, 8)}`;
  await createTopic(topic);
  await produce(topic, ['before-1', 'before-2']);
  const created = await post(`/consumers/${group}`, {
    name: 'i',
    format: 'binary',
    'auto.offset.reset': 'earliest',
  });
  assert.equal(created.status, 200, await created.clone().text());
  const instance = `/consumers/${group}/instances/i`;
  const attached = await attach(instance, topic);
  assert.equal(attached.status, 204, await attached.text());
  assert.deepEqual((await pollUntil(instance, ['before-1', 'before-2'])).sort(), [
    'before-1',
    'before-2',
  ]);

  const crashesBefore = await crashes();
  const deletedAt = Date.now();
  await deleteTopic(topic);
  const gone: { status: number; body: string }[] = [];
  while (Date.now() - deletedAt < GONE_MS) {
    const r = await poll(instance);
    gone.push({ status: r.status, body: r.body });
    await sleep(500);
  }
  const warnings = lines
    .filter((l) => l.at >= deletedAt && (l.level === 'warn' || l.level === 'error'))
    .map((l) => l.msg);
  const crashCount = (await crashes()) - crashesBefore;
  console.log(
    `[deleted-topic] ${JSON.stringify({ crashes: crashCount, warnings: warnings.length, gone: gone.map((g) => `${g.status} ${g.body.slice(0, 80)}`) })}`,
  );
  console.log(`[deleted-topic] warnings: ${JSON.stringify([...new Set(warnings)])}`);

  await createTopic(topic);
  await produce(topic, ['after-1', 'after-2']);
  const after = await pollUntil(instance, ['after-1', 'after-2']);
  assert.ok(
    after.includes('after-1') && after.includes('after-2'),
    `records produced after the topic was recreated arrive: ${JSON.stringify(after)}`,
  );
  assert.equal((await fetch(base + instance, { method: 'DELETE' })).status, 204);
  return { gone, warnings, crashes: crashCount };
}

function checkGone(r: Awaited<ReturnType<typeof deleteUnder>>): void {
  const errors = r.gone.filter((g) => g.status !== 200 || g.body !== '[]');
  assert.ok(
    errors.length <= 1,
    `at most one error while the topic is gone: ${JSON.stringify(errors)}`,
  );
  assert.ok(
    r.warnings.length <= MAX_WARNINGS,
    `${r.warnings.length} warnings in ${GONE_MS} ms: ${JSON.stringify(r.warnings.slice(0, 12))}`,
  );
  assert.ok(r.crashes <= 1, `${r.crashes} consumer crashes (kafkajs restarted it in a loop)`);
}

test('a topic deleted under a subscribed instance: [] without a restart storm, read again once recreated', async () => {
  const r = await deleteUnder((instance, topic) =>
    post(`${instance}/subscription`, { topics: [topic] }),
  );
  checkGone(r);
});

test('a topic deleted under an assigned instance: [] without a restart storm, read again once recreated', async () => {
  const r = await deleteUnder((instance, topic) =>
    post(`${instance}/assignments`, { partitions: [{ topic, partition: 0 }] }),
  );
  checkGone(r);
});
