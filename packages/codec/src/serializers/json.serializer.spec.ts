import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonField, encodeJsonField } from './json.serializer';

test('json values round-trip through bytes', () => {
  for (const v of [{ foo: 'bar' }, [1, 2, 3], 53.5, 'somekey', true, { u: 'ünï©ødé 🚀' }]) {
    const bytes = encodeJsonField(v);
    assert.ok(bytes);
    assert.deepEqual(decodeJsonField(bytes), { ok: true, value: v });
  }
});

test('null stays null; invalid JSON bytes are reported, not thrown', () => {
  assert.equal(encodeJsonField(null), null);
  assert.equal(encodeJsonField(undefined), null);
  assert.deepEqual(decodeJsonField(null), { ok: true, value: null });
  assert.deepEqual(decodeJsonField(Buffer.from('{oops')), { ok: false });
});
