import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeMessageIndexes,
  decodeWireHeader,
  encodeMessageIndexes,
  encodeWire,
} from './wire-format';
import { CodecError } from './errors';

test('magic byte, big-endian id, payload', () => {
  assert.equal(encodeWire(21, Buffer.from([1, 2])).toString('hex'), '00000000150102');
  assert.equal(encodeWire(0x01020304, Buffer.alloc(0)).toString('hex'), '0001020304');
  assert.deepEqual(decodeWireHeader(Buffer.from('00000000150102', 'hex')), {
    schemaId: 21,
    offset: 5,
  });
  assert.throws(
    () => decodeWireHeader(Buffer.from('0100000015', 'hex')),
    (e: unknown) => e instanceof CodecError && e.code === 'invalid_wire_format',
  );
  assert.throws(() => decodeWireHeader(Buffer.from('0000', 'hex')), CodecError);
});

test('protobuf message indexes as Confluent writes them', () => {
  assert.equal(encodeMessageIndexes([0]).toString('hex'), '00');
  assert.equal(encodeMessageIndexes([1]).toString('hex'), '0202');
  assert.equal(encodeMessageIndexes([0, 1]).toString('hex'), '040002');
  assert.equal(encodeMessageIndexes([2, 70]).toString('hex'), '04048c01');
  assert.equal(encodeWire(7, Buffer.from([8, 1]), [0]).toString('hex'), '0000000007000801');
});

test('message indexes round-trip', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(5000), { minLength: 1, maxLength: 6 }), (indexes) => {
      const bytes = Buffer.concat([
        Buffer.from([9]),
        encodeMessageIndexes(indexes),
        Buffer.from([0xaa]),
      ]);
      const decoded = decodeMessageIndexes(bytes, 1);
      assert.deepEqual(decoded.indexes, indexes);
      assert.equal(bytes[decoded.offset], 0xaa);
    }),
  );
});
