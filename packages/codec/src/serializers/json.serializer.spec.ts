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

test('json: integers beyond 2^53 keep every digit both ways, nested anywhere', () => {
  const text =
    '{"id":9007199254740993,"min":-9223372036854775808,"max":9223372036854775807,' +
    '"u":18446744073709551615,"nested":{"list":[1,{"x":9007199254740993}]},"f":1.5,"e":1e300,' +
    '"s":"9007199254740993"}';
  const parsed = decodeJsonField(Buffer.from(text));
  assert.ok(parsed.ok);
  const v = parsed.value as Record<string, unknown>;
  assert.equal(v['id'], 9007199254740993n);
  assert.equal(v['s'], '9007199254740993'); // a numeric string stays a string
  assert.equal(v['e'], 1e300); // floats and exponents stay numbers
  assert.equal(
    encodeJsonField(v)!.toString(),
    text.replace('1e300', '1e+300'), // JSON.stringify's spelling of the same double
  );
  assert.equal(encodeJsonField([9007199254740993n])!.toString(), '[9007199254740993]');
});
