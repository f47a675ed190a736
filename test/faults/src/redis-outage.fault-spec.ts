import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compare,
  createTopic,
  env,
  failedRequests,
  type Format,
  ProduceLoad,
  readBack,
  recoveryMs,
  report,
  sleep,
  stack,
  waitFor,
} from './harness';
import { RestConsumerLoop } from './rest-consumer';

/** How long Redis (the consumer instances' ownership table) stays down. */
const OUTAGE_MS = Number(process.env['FAULTS_REDIS_OUTAGE_MS'] ?? '10000');
/** Consumer failures during the outage must be answers a client retries (no hang, no 500). */
const RETRIABLE = /^(GET records|commit) (408|429|502|503|504) /;

test('Redis outage and restart: produce unaffected, REST consumers answer retriable errors at worst and resume by themselves', async () => {
  assert.ok(env.replicas >= 2, 'needs the scaled stack (ownership in Redis)');
  const topic = await createTopic('redis-outage', 3);
  const topics = { binary: topic } as Record<Format, string>;
  const load = new ProduceLoad(topics, {
    connections: 4,
    batch: 5,
    pauseMs: 100,
    formats: ['binary'],
  }).start();
  // three REST consumers (a group each) created through the entry point: instances live on both
  // replicas and requests that land on the other one are forwarded to the owner, the path that
  // needs Redis
  const consumers = await Promise.all([0, 1, 2].map(() => new RestConsumerLoop(topic).start()));
  await sleep(5000);
  const faultAt = Date.now();
  await stack('kill', 'redis');
  await sleep(OUTAGE_MS);
  const backAt = Date.now();
  await stack('start', 'redis');
  await sleep(10_000);
  const stats = await load.stop();
  // every acknowledged record is read by the consumers (at-least-once), then they stop
  await waitFor('the consumers read every acknowledged record', 90_000, () =>
    Promise.resolve([...stats.acked].every((id) => consumers.some((c) => c.seen.has(id)))),
  ).catch(() => undefined);
  await Promise.all(consumers.map((c) => c.stop()));
  const found = await readBack([topic]);
  const verdict = compare(stats.acked, found);
  const unread = [...stats.acked].filter((id) => !consumers.some((c) => c.seen.has(id)));
  const produceFailed = failedRequests(stats.outcomes);
  const consumerFailed = consumers.flatMap((c) => c.failed);
  const consumerFailedAt = consumers.flatMap((c) => c.failedAt);
  const lastConsumerFailure = Math.max(backAt, ...consumerFailedAt);
  const produceRecovery = recoveryMs(stats.outcomes, backAt);
  const recovery = Math.max(produceRecovery, lastConsumerFailure - backAt);
  const redelivered = consumers.reduce(
    (n, c) => n + [...c.seen.values()].filter((v) => v > 1).length,
    0,
  );
  report({
    scenario: `Redis outage (kill -9, down ${OUTAGE_MS / 1000} s, restarted empty)`,
    acknowledged: verdict.acked,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    failedRequests: produceFailed.length + consumerFailed.length,
    recovery: `${(recovery / 1000).toFixed(1)} s after restart`,
    notes:
      `${produceFailed.length} produce and ${consumerFailed.length} consumer requests failed ` +
      `(${[...new Set(consumerFailed.map((f) => f.slice(0, 40)))].join('; ') || 'none'}); ` +
      `3 REST consumers read ${stats.acked.size - unread.length}/${stats.acked.size} acknowledged records, ` +
      `${redelivered} redelivered, ${consumers.reduce((n, c) => n + c.recreated, 0)} instances recreated; ` +
      `outage began ${((backAt - faultAt) / 1000).toFixed(1)} s before the restart`,
  });
  assert.ok(verdict.acked > 0, 'nothing was acknowledged');
  assert.equal(verdict.lost, 0, `acknowledged but not in Kafka: ${verdict.lostSample.join(', ')}`);
  assert.equal(verdict.duplicated, 0, 'an acknowledged record is in Kafka twice');
  assert.deepEqual(produceFailed.length, 0, 'produce does not depend on Redis');
  assert.deepEqual(unread.slice(0, 5), [], 'the consumers read every acknowledged record');
  assert.deepEqual(
    consumerFailed.filter((f) => !RETRIABLE.test(f)),
    [],
    'consumer failures are retriable answers',
  );
});
