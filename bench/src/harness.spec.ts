import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RowResult } from './context';
import { closedLoop } from './load';
import { parseOptions, selected } from './options';
import { makeRecords } from './payloads';
import { pairRatios } from './report';
import { parseEnvFile } from './stack';
import { LatencyRecorder, median, percentile } from './stats';
import { splitJsonStream } from './workloads/v3';

/** The harness's own logic; no figure is asserted (performance is measured, not tested). */

test('percentiles are nearest-rank over every sample', () => {
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 500);
  assert.equal(percentile(sorted, 0.99), 990);
  assert.equal(percentile(sorted, 0.999), 999);
  const r = new LatencyRecorder();
  for (const v of [5, 1, 3]) r.add(v);
  assert.deepEqual(
    { p50: r.summary()!.p50, p999: r.summary()!.p999, max: r.summary()!.max },
    { p50: 3, p999: 5, max: 5 },
  );
  assert.equal(new LatencyRecorder().summary(), undefined);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('the recorder grows past its first buffer', () => {
  const r = new LatencyRecorder();
  for (let i = 0; i < 10_000; i++) r.add(i);
  assert.equal(r.count, 10_000);
  assert.equal(r.summary()!.max, 9999);
});

test('stack.env lines with or without export and quotes', () => {
  const vars = parseEnvFile(
    'export GATEWAY_URL=http://127.0.0.1:1\nKAFKA_BROKERS="a:1,b:2"\n# comment\n\nbad line\n',
  );
  assert.equal(vars.get('GATEWAY_URL'), 'http://127.0.0.1:1');
  assert.equal(vars.get('KAFKA_BROKERS'), 'a:1,b:2');
  assert.equal(vars.size, 2);
});

test('v3 streaming answers split into objects, braces inside strings included', () => {
  const text =
    '{"error_code":200,"offset":1}\n{"error_code":400,"message":"a } { \\" b"}{"x":{"y":1}}';
  assert.deepEqual(splitJsonStream(text), [
    { error_code: 200, offset: 1 },
    { error_code: 400, message: 'a } { " b' },
    { x: { y: 1 } },
  ]);
});

test('quick mode is a subset; full mode is the whole produce matrix', () => {
  const quick = parseOptions(['--quick'], {});
  const full = parseOptions(['--full', '--only', 'Avro', '--duration', '1.5'], {});
  assert.equal(full.produce.length, 3 * 2 * 4 * 3);
  assert.ok(quick.produce.length < full.produce.length);
  assert.equal(full.durationMs, 1500);
  assert.ok(selected(full, 'produce avro 1 KB x10 c16'));
  assert.ok(!selected(full, 'produce binary 1 KB x10 c16'));
  assert.ok(selected(quick, 'anything'));
  assert.throws(() => parseOptions(['--via', 'nowhere'], {}), /--via/);
  assert.equal(parseOptions([], { STACK_RUN_DIR: '/r' }).stackEnv, '/r/stack.env');
});

test('records have the requested stored size on both sides', () => {
  for (const format of ['binary', 'json'] as const) {
    const r = makeRecords(format, 1024, 3);
    assert.equal(r.envelopeValues.length, 3);
    for (const m of r.serialize()) assert.equal(m.value.length, r.storedBytes);
    assert.ok(Math.abs(r.storedBytes - 1024) <= 2, `${format}: ${r.storedBytes}`);
  }
});

test('the closed loop counts only operations started in the window', async () => {
  let calls = 0;
  let windowOpened = 0;
  let callsAtWindow = 0;
  const result = await closedLoop({
    concurrency: 2,
    warmupMs: 20,
    durationMs: 100,
    onWindowStart: () => {
      windowOpened++;
      callsAtWindow = calls;
    },
    op: async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      return 10;
    },
  });
  assert.equal(windowOpened, 1);
  // operations started before the window opened are never counted (however slow the machine)
  assert.ok(result.ops > 0, 'operations in the window are counted');
  assert.ok(result.ops <= calls - callsAtWindow, 'warm-up operations are excluded');
  assert.equal(result.records, result.ops * 10);
  assert.equal(result.latency!.count, result.ops);
  assert.equal(result.errors, 0);
});

test('gateway ÷ direct ratios per pair', () => {
  const row = (side: 'gateway' | 'direct', recordsPerSec: number): RowResult => ({
    pair: 'p',
    section: 'produce',
    side,
    method: side,
    params: {},
    recordBytes: 100,
    load: undefined,
    recordsPerSec,
    mbPerSec: recordsPerSec / 10_000,
    servedBy: undefined,
    processes: {},
    clientCpuSeconds: 0,
  });
  const [ratio] = pairRatios([row('gateway', 50), row('direct', 200)]);
  assert.equal(ratio!.recordsPerSec, 0.25);
  assert.equal(ratio!.p50, undefined);
});
