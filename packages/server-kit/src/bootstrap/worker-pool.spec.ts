import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrimaryReadiness } from './worker-pool';

test('the pod is ready only when every expected worker reported ready recently', () => {
  let now = 0;
  const r = new PrimaryReadiness(2, () => now);
  assert.equal(r.report().ready, false, 'no worker yet');
  r.update(1, { ready: true, checks: { kafka: true, accepting: true } });
  assert.deepEqual(r.report(), {
    ready: false,
    checks: { kafka: true, accepting: true, workers: false },
  });
  r.update(2, { ready: true, checks: { kafka: true, accepting: true } });
  assert.equal(r.report().ready, true);

  // one worker's failing check fails the pod, under the check's own name
  r.update(2, { ready: false, checks: { kafka: false, accepting: true } });
  assert.deepEqual(r.report(), {
    ready: false,
    checks: { kafka: false, accepting: true, workers: true },
  });
  r.update(2, { ready: true, checks: { kafka: true, accepting: true } });

  // a worker that stopped reporting (hung) or exited no longer counts
  now = 6000;
  r.update(1, { ready: true, checks: { kafka: true, accepting: true } });
  assert.equal(r.report().checks['workers'], false);
  r.update(2, { ready: true, checks: { kafka: true, accepting: true } });
  assert.equal(r.report().ready, true);
  r.remove(2);
  assert.equal(r.report().ready, false);

  // draining: not accepting, whatever the workers say
  r.update(2, { ready: true, checks: { kafka: true, accepting: true } });
  r.markShuttingDown();
  assert.equal(r.report().checks['accepting'], false);
  assert.equal(r.report().ready, false);
});
