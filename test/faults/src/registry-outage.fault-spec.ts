import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compare,
  createTopic,
  env,
  failedRequests,
  produceOnce,
  ProduceLoad,
  readBack,
  report,
  sleep,
  stack,
  uid,
  type Format,
} from './harness';

/** The gateway's registry time budget (SCHEMA_REGISTRY_TIMEOUT_MS, 5 s) plus slack. */
const FAIL_FAST_MS = 8000;

test('registry outage: cached schemas keep producing, a new schema fails fast with 408/40801, recovery', async () => {
  const topic = await createTopic('registry', 3);
  const topics = Object.fromEntries(
    ['avro', 'jsonschema', 'protobuf', 'binary', 'json'].map((f) => [f, topic]),
  ) as Record<Format, string>;
  // schemas registered (and cached by the gateways) before the outage
  const load = new ProduceLoad(topics, {
    connections: 6,
    batch: 5,
    pauseMs: 50,
    formats: ['avro'],
  }).start();
  await sleep(5000);
  const faultAt = Date.now();
  await stack('kill', 'registry');
  await sleep(10_000);
  const fresh = uid('New').replace(/-/g, '');
  const acked = new Set<string>();
  const newSchema = await produceOnce(
    topic,
    'avro',
    {
      value_schema: JSON.stringify({
        type: 'record',
        name: fresh,
        fields: [{ name: 'id', type: 'string' }],
      }),
      records: [{ value: { id: 'unused' } }],
    },
    ['unused'],
    acked,
  );
  const duringOutage = load.stats.outcomes.filter((o) => o.start > faultAt + 1000);
  const okDuring = duringOutage.filter((o) => o.status === 200 && o.failedRecords === 0).length;
  await stack('start', 'registry');
  const backAt = Date.now();
  let recovered = false;
  while (!recovered && Date.now() - backAt < 60_000) {
    const again = await produceOnce(
      topic,
      'avro',
      {
        value_schema: JSON.stringify({
          type: 'record',
          name: fresh,
          fields: [{ name: 'id', type: 'string' }],
        }),
        records: [{ value: { id: 'unused' } }],
      },
      ['unused'],
      acked,
    );
    recovered = again.status === 200;
    if (!recovered) await sleep(500);
  }
  const recoveryMs = Date.now() - backAt;
  const stats = await load.stop();
  const verdict = compare(stats.acked, await readBack([topic]));
  const failed = failedRequests(stats.outcomes);
  report({
    scenario: 'registry outage (10 s, registry in-memory: restarted empty)',
    acknowledged: verdict.acked,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    failedRequests: failed.length,
    recovery: `${(recoveryMs / 1000).toFixed(1)} s after restart`,
    notes: `${okDuring} cached-schema requests OK during the outage; new schema: ${newSchema.status}/${newSchema.errorCode ?? '-'} in ${newSchema.end - newSchema.start} ms; env ${env.registryUrl}`,
  });
  assert.equal(verdict.lost, 0);
  assert.equal(verdict.duplicated, 0);
  assert.deepEqual(
    failed.map((o) => `${o.status} ${o.error ?? ''}`),
    [],
    'cached schemas never fail',
  );
  assert.ok(okDuring > 0, 'requests with cached schemas succeeded during the outage');
  assert.equal(newSchema.status, 408);
  assert.equal(newSchema.errorCode, 40801);
  assert.ok(newSchema.end - newSchema.start < FAIL_FAST_MS, 'the new schema fails fast');
  assert.ok(recovered, 'a new schema registers again after the registry is back');
});
