import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compare,
  createTopic,
  env,
  failedRequests,
  kafka,
  ProduceLoad,
  report,
  sleep,
  stack,
  type Format,
} from './harness';
import { RestConsumerLoop } from './rest-consumer';

/** Load while every replica restarts in turn. */
const CONNECTIONS = 8;
/** Time the restarted replica serves before the next one goes. */
const BETWEEN_MS = 3000;

test('rolling restart of every gateway replica under produce and consume: 0 failed produce requests, committed offsets intact, nothing lost', async () => {
  const topic = await createTopic('rolling', 3);
  const topics = Object.fromEntries(
    ['binary', 'json', 'avro', 'jsonschema', 'protobuf'].map((f) => [f, topic]),
  ) as Record<Format, string>;
  const load = new ProduceLoad(topics, {
    connections: CONNECTIONS,
    batch: 5,
    pauseMs: 20,
    formats: ['binary'],
  }).start();
  const consumer = await new RestConsumerLoop(topic).start();
  const admin = kafka.admin();
  await admin.connect();
  const committed: number[] = [];
  const sample = async (): Promise<void> => {
    const offsets = await admin.fetchOffsets({ groupId: consumer.group, topics: [topic] });
    committed.push(offsets[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0));
  };
  const components: string[] = [];
  for (let i = 1; i <= env.replicas; i++) {
    components.push(i === 1 ? 'producer-gateway' : `producer-gateway-${i}`);
    components.push(i === 1 ? 'consumer-gateway' : `consumer-gateway-${i}`);
  }
  const t0 = Date.now();
  await sleep(BETWEEN_MS);
  for (const c of components) {
    await sample();
    await stack('restart', c);
    await sleep(BETWEEN_MS);
  }
  const rollMs = Date.now() - t0;
  const stats = await load.stop();
  // the consumer catches up with everything produced
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && [...stats.acked].some((id) => !consumer.seen.has(id)))
    await sleep(500);
  await sample();
  await consumer.stop();
  await admin.disconnect();
  const produced = compare(stats.acked, consumer.seen);
  const failed = failedRequests(stats.outcomes);
  const regressions = committed.filter((v, i) => i > 0 && v < committed[i - 1]!).length;
  report({
    scenario: `rolling restart (${components.length} replicas, produce + consume)`,
    acknowledged: produced.acked,
    lost: produced.lost,
    duplicated: 0,
    failedRequests: failed.length,
    recovery: `${(rollMs / 1000).toFixed(0)} s roll, no outage`,
    notes: `consumer: 40403 seen ${consumer.notFound}, recreated ${consumer.recreated}, redelivered ${produced.duplicated} (uncommitted window), errors ${consumer.failed.length}; committed offsets ${committed.join('→')}`,
  });
  assert.deepEqual(
    failed.map((o) => `${o.status} ${o.error ?? ''}`),
    [],
    'no produce request fails',
  );
  assert.equal(produced.lost, 0, `not consumed: ${produced.lostSample.join(', ')}`);
  assert.equal(regressions, 0, `committed offsets went back: ${committed.join(', ')}`);
  assert.ok(consumer.recreated >= 1, 'the instance was on a restarted replica and answered 40403');
});
