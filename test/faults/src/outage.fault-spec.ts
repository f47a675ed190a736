import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CLIENT_TIMEOUT_MS,
  compare,
  env,
  failedRequests,
  ProduceLoad,
  readBack,
  ready,
  recoveryMs,
  report,
  sleep,
  stack,
  topicsPerFormat,
  waitFor,
} from './harness';

/** How long every broker stays down. */
const OUTAGE_MS = Number(process.env['FAULTS_OUTAGE_MS'] ?? '30000');
/** A failed request during the outage must answer within this (the gateway's produce timeout + slack). */
const FAIL_FAST_MS = 35_000;

test('full Kafka outage: every broker down, readiness false, fast retriable failures, recovery without a gateway restart', async () => {
  const nodes = env.brokerCount >= 3 ? ['kafka', 'kafka-2', 'kafka-3'] : ['kafka'];
  const topics = await topicsPerFormat('outage', 3);
  const load = new ProduceLoad(topics, { connections: 10, batch: 5, pauseMs: 50 }).start();
  await sleep(5000);
  const faultAt = Date.now();
  await stack('kill', ...nodes);
  // a replica still ready is a finding, not a reason to leave Kafka down for the next scenario
  const notReadyAfter = await waitFor('every replica reports not ready', OUTAGE_MS, async () => {
    const states = await Promise.all(
      env.producerMetricsUrls.map((u) => ready(u).catch(() => false)),
    );
    return states.every((s) => !s);
  }).catch(() => undefined);
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - faultAt)));
  const backAt = Date.now();
  await stack('start', ...nodes);
  const readyAfter = await waitFor('every replica ready again', 120_000, async () => {
    const states = await Promise.all(
      [...env.producerMetricsUrls, ...env.consumerMetricsUrls].map((u) => ready(u)),
    );
    return states.every(Boolean);
  });
  await sleep(8000);
  const stats = await load.stop();
  const found = await readBack(Object.values(topics));
  const verdict = compare(stats.acked, found);
  const failed = failedRequests(stats.outcomes);
  const during = failed.filter((o) => o.start >= faultAt && o.start < backAt);
  const slow = during.filter((o) => o.end - o.start > FAIL_FAST_MS);
  const silent = failed.filter((o) => !o.retriable);
  const slowest = during.reduce((m, o) => Math.max(m, o.end - o.start), 0);
  report({
    scenario: `full Kafka outage (${nodes.length} broker(s) down ${OUTAGE_MS / 1000} s)`,
    acknowledged: verdict.acked,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    failedRequests: failed.length,
    recovery: `${(recoveryMs(stats.outcomes, backAt) / 1000).toFixed(1)} s after restart (ready ${(readyAfter / 1000).toFixed(1)} s)`,
    notes: `${notReadyAfter === undefined ? 'readiness stayed true' : `not ready ${(notReadyAfter / 1000).toFixed(1)} s after the kill`}; slowest failure ${slowest} ms; client limit ${CLIENT_TIMEOUT_MS} ms`,
  });
  assert.equal(verdict.lost, 0, `lost: ${verdict.lostSample.join(', ')}`);
  assert.ok(
    notReadyAfter !== undefined,
    'every producer replica reported not ready during the outage',
  );
  assert.equal(verdict.duplicated, 0);
  assert.ok(
    during.length > 0,
    'requests during the outage failed (else the outage did not happen)',
  );
  assert.deepEqual(
    slow.map((o) => o.end - o.start),
    [],
    'failures answer within the produce timeout',
  );
  assert.deepEqual(
    silent.map((o) => `${o.status} ${o.error ?? ''}`),
    [],
    'failures are retriable',
  );
});
