import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  busiestLeader,
  compare,
  env,
  failedRequests,
  ProduceLoad,
  readBack,
  recoveryMs,
  report,
  sleep,
  stack,
  topicsPerFormat,
} from './harness';

/**
 * The kafkajs idempotent-producer failure mode ("out of order sequence number", and acknowledged
 * records that a new leader takes for retries of other batches): many concurrent requests, so
 * every coalesced send carries records of many requests for every partition, while the broker
 * leading most partitions is killed -9 and restarted.
 */
const CONNECTIONS = Number(process.env['FAULTS_CONCURRENCY'] ?? '64');
const STEADY_MS = Number(process.env['FAULTS_STEADY_MS'] ?? '8000');

test(`high concurrency (${CONNECTIONS} connections) through a broker kill -9 and restart: 0 lost, 0 duplicated`, async () => {
  const multi = env.brokerCount >= 3;
  const topics = await topicsPerFormat('concurrency', 6);
  const load = new ProduceLoad(topics, {
    connections: CONNECTIONS,
    batch: 2,
    pauseMs: 0,
    formats: ['binary', 'json'],
  }).start();
  await sleep(STEADY_MS);
  const victim = multi
    ? await busiestLeader([topics.binary, topics.json])
    : { component: 'kafka', led: 12 };
  const faultAt = Date.now();
  await stack('kill', victim.component);
  await sleep(multi ? STEADY_MS : 5000);
  await stack('start', victim.component);
  await sleep(STEADY_MS * 2);
  const stats = await load.stop();
  const found = await readBack([topics.binary, topics.json]);
  const verdict = compare(stats.acked, found);
  const failed = failedRequests(stats.outcomes);
  const silent = failed.filter((o) => !o.retriable);
  const sequence = failed.filter((o) => /sequence/i.test(o.error ?? '')).length;
  report({
    scenario: `${CONNECTIONS} connections, kill -9 + restart ${victim.component} (led ${victim.led}/12)`,
    acknowledged: verdict.acked,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    failedRequests: failed.length,
    recovery: `${(recoveryMs(stats.outcomes, faultAt) / 1000).toFixed(1)} s`,
    notes: `${stats.outcomes.length} requests of 2 records (binary/json, 6 partitions each); ${sequence} failures mention a sequence number; producer idempotent, maxInFlightRequests 1, one coalesced send at a time`,
  });
  assert.ok(verdict.acked > 0, 'nothing was acknowledged');
  assert.equal(verdict.lost, 0, `acknowledged but not in Kafka: ${verdict.lostSample.join(', ')}`);
  assert.equal(verdict.duplicated, 0, 'an acknowledged record is in Kafka twice');
  assert.deepEqual(
    silent.map((o) => `${o.status} ${o.error ?? ''}`),
    [],
    'every failed request answers a retriable code',
  );
});
