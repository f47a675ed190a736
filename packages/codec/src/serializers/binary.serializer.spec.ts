import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBinaryField, encodeBinaryField, isStrictBase64 } from './binary.serializer';
import { CodecError } from '../errors';

test('decodes strict base64, padded or not', () => {
  assert.deepEqual(decodeBinaryField('a2V5', 'key'), Buffer.from('key'));
  assert.deepEqual(decodeBinaryField('a2Fma2E=', 'value'), Buffer.from('kafka'));
  assert.deepEqual(decodeBinaryField('a2Fma2E', 'value'), Buffer.from('kafka'));
  assert.deepEqual(decodeBinaryField('', 'value'), Buffer.alloc(0));
});

test('null and absent stay null (null key, tombstone)', () => {
  assert.equal(decodeBinaryField(null, 'key'), null);
  assert.equal(decodeBinaryField(undefined, 'value'), null);
});

test('rejects non-base64 and non-string values', () => {
  for (const bad of ['not base64!', 'abcde', 'ab=c', 'a===', '-_-_']) {
    assert.throws(
      () => decodeBinaryField(bad, 'value'),
      (e: unknown) => e instanceof CodecError && e.code === 'invalid_base64',
      bad,
    );
  }
  for (const bad of [42, {}, [], true]) {
    assert.throws(
      () => decodeBinaryField(bad, 'key'),
      (e: unknown) => e instanceof CodecError && e.code === 'invalid_payload',
    );
  }
});

test('round-trips arbitrary bytes', () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.deepEqual(decodeBinaryField(encodeBinaryField(bytes), 'value'), bytes);
  assert.equal(encodeBinaryField(null), null);
});

test('accepts exactly the strict base64 strings (property, against the regex definition)', () => {
  const alphabet = 'AQgw+/=a9-_ \n.*é'.split('');
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }), (chars) => {
      const s = chars.join('');
      let accepted = true;
      try {
        decodeBinaryField(s, 'value');
      } catch {
        accepted = false;
      }
      assert.equal(accepted, isStrictBase64(s), JSON.stringify(s));
    }),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const b64 = Buffer.from(bytes).toString('base64');
      assert.deepEqual(decodeBinaryField(b64, 'value'), Buffer.from(bytes));
      assert.deepEqual(decodeBinaryField(b64.replace(/=+$/, ''), 'value'), Buffer.from(bytes));
    }),
  );
});
