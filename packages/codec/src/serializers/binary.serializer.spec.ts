import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBinaryField, encodeBinaryField } from './binary.serializer';
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
