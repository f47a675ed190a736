import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import { BATCH_MAX_ENTRIES, parseProduceBatch } from './produce-batch.parser';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e.code;
    throw e;
  }
  return undefined;
}

const entry = (id: unknown): Record<string, unknown> => ({
  id,
  value: { type: 'STRING', data: 'x' },
});

test('entries keep their order; the id is taken off the record', () => {
  const parsed = parseProduceBatch({
    entries: [entry('b'), { id: 'a-1_Z', partition_id: 1 }],
  });
  assert.deepEqual(parsed, [
    { id: 'b', record: { value: { type: 'STRING', data: 'x' } } },
    { id: 'a-1_Z', record: { partition_id: 1 } },
  ]);
  assert.equal(
    parseProduceBatch({
      entries: Array.from({ length: BATCH_MAX_ENTRIES }, (_, i) => entry(`e${i}`)),
    }).length,
    BATCH_MAX_ENTRIES,
  );
});

test('whole-batch refusals are 42208 (produce_batch_invalid)', () => {
  for (const bad of [
    undefined,
    null,
    {},
    [],
    { entries: null },
    { entries: {} },
    { entries: [] },
    { entries: Array.from({ length: BATCH_MAX_ENTRIES + 1 }, (_, i) => entry(`e${i}`)) },
    { entries: [entry('x'), entry('x')] },
    { entries: [entry(1)] },
    { entries: [entry('')] },
    { entries: [entry('x'.repeat(81))] },
    { entries: [entry('a.b')] },
    { entries: [{ value: {} }] },
    { entries: ['x'] },
  ]) {
    assert.equal(
      code(() => parseProduceBatch(bad)),
      'produce_batch_invalid',
      JSON.stringify(bad),
    );
  }
  assert.equal(
    code(() => parseProduceBatch({ entries: [], more: 1 })),
    'unrecognized_field',
  );
  assert.equal(parseProduceBatch({ entries: [entry('x'.repeat(80))] }).length, 1);
});
