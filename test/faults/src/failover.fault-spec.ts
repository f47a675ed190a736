import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compare,
  env,
  failedRequests,
  FORMATS,
  busiestLeader,
  ProduceLoad,
  readBack,
  recoveryMs,
  report,
  sleep,
  stack,
  topicsPerFormat,
} from './harness';

/** Load: 20 connections (4 per format) through the entry point, 5 records a request. */
const CONNECTIONS = Number(process.env['FAULTS_CONNECTIONS'] ?? '20');
/** How long the load runs before the fault and after the broker is back. */
const STEADY_MS = Number(process.env['FAULTS_STEADY_MS'] ?? '8000');

test('leader failover: kill -9 the broker leading most partitions under produce of every format', async () => {
  const multi = env.brokerCount >= 3;
  const topics = await topicsPerFormat('failover', 3);
  const load = new ProduceLoad(topics, { connections: CONNECTIONS, batch: 5, pauseMs: 0 }).start();
  await sleep(STEADY_MS);
  const victim = multi
    ? await busiestLeader(Object.values(topics))
    : { component: 'kafka', led: 15 };
  const faultAt = Date.now();
  await stack('kill', victim.component);
  if (!multi) {
    // one broker: the outage lasts until it is back
    await sleep(5000);
    await stack('start', 'kafka');
  }
  await sleep(STEADY_MS * 2);
  if (multi) await stack('start', victim.component);
  await sleep(STEADY_MS);
  const stats = await load.stop();
  const found = await readBack(Object.values(topics));
  const verdict = compare(stats.acked, found);
  const failed = failedRequests(stats.outcomes);
  const silent = failed.filter((o) => !o.retriable);
  const recovery = recoveryMs(stats.outcomes, faultAt);
  report({
    scenario: multi
      ? `leader failover (kill -9 ${victim.component}, led ${victim.led}/15)`
      : 'broker restart (1 broker)',
    acknowledged: verdict.acked,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    failedRequests: failed.length,
    recovery: `${(recovery / 1000).toFixed(1)} s`,
    notes: `${stats.outcomes.length} requests, ${CONNECTIONS} connections, formats ${FORMATS.join('/')}`,
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
