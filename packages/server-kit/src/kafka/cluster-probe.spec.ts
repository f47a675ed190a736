import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { ClusterProbe } from './cluster-probe';

const logger = pino({ enabled: false });

test('a failed or unanswered probe marks the cluster unreachable until one succeeds', async () => {
  let answer: 'ok' | 'fail' | 'hang' = 'ok';
  let asked = 0;
  const probe = new ClusterProbe(
    () => {
      asked++;
      if (answer === 'ok') return Promise.resolve();
      if (answer === 'fail') return Promise.reject(new Error('broker gone'));
      return new Promise(() => undefined);
    },
    logger,
    50,
  );
  assert.equal(probe.isReachable(), true);
  await probe.probe();
  assert.equal(probe.isReachable(), true);
  answer = 'fail';
  await probe.probe();
  assert.equal(probe.isReachable(), false);
  answer = 'ok';
  await probe.probe();
  assert.equal(probe.isReachable(), true);
  answer = 'hang'; // every broker dead: kafkajs keeps retrying, the probe times out
  const started = Date.now();
  await probe.probe();
  assert.equal(probe.isReachable(), false);
  assert.ok(Date.now() - started < 1000, 'decided by the probe timeout');
  // one probe at a time: a call while one is in flight asks nothing more
  const before = asked;
  const first = probe.probe();
  await probe.probe();
  assert.equal(asked, before + 1);
  await first;
});
