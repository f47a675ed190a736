import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as protobuf from 'protobufjs';
import { CodecError } from '../errors';
import { parseExactJson, stringifyExactJson } from '../exact-json';
import { parseAvro } from './avro.serde';
import { parseJsonSchema } from './json-schema.serde';
import { parseProtobuf } from './protobuf.serde';

// Integers JSON.parse cannot hold, each a boundary of its type.
const ABOVE_2_53 = '9007199254740993'; // 2^53 + 1
const MIN_INT64 = '-9223372036854775808'; // -2^63
const MAX_INT64 = '9223372036854775807'; // 2^63 - 1
const MAX_UINT64 = '18446744073709551615'; // 2^64 - 1

const mismatch = (e: unknown): boolean => e instanceof CodecError && e.code === 'schema_mismatch';

/** Avro's zigzag varint longs, read by hand (not through avsc): the bytes hold the exact value. */
function readAvroLongs(payload: Buffer): bigint[] {
  const out: bigint[] = [];
  let i = 0;
  while (i < payload.length) {
    let n = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = payload[i++]!;
      n |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    out.push((n >> 1n) ^ -(n & 1n));
  }
  return out;
}

const AVRO_LONGS = JSON.stringify({
  type: 'record',
  name: 'Longs',
  fields: [
    { name: 'a', type: 'long' },
    { name: 'b', type: { type: 'long' } },
    { name: 'c', type: { type: 'long', logicalType: 'timestamp-micros' } },
  ],
});

test('avro long: 2^53+1, -2^63 and 2^63-1 are accepted and written exactly, in every long form', () => {
  const schema = parseAvro(AVRO_LONGS);
  const value = parseExactJson(`{"a":${ABOVE_2_53},"b":${MIN_INT64},"c":${MAX_INT64}}`);
  const { payload } = schema.encode(value);
  assert.deepEqual(readAvroLongs(payload), [
    BigInt(ABOVE_2_53),
    BigInt(MIN_INT64),
    BigInt(MAX_INT64),
  ]);
  // consumed JSON: every digit
  assert.equal(
    stringifyExactJson(schema.decode(payload)),
    `{"a":${ABOVE_2_53},"b":${MIN_INT64},"c":${MAX_INT64}}`,
  );
});

test('avro long: safe values stay plain numbers; beyond 64 bits, fractions and non-decimal strings are refused', () => {
  const schema = parseAvro(AVRO_LONGS);
  const { payload } = schema.encode({ a: 1, b: -2, c: 9007199254740991 });
  assert.deepEqual(schema.decode(payload), { a: 1, b: -2, c: 9007199254740991 });
  for (const bad of [
    '{"a":9223372036854775808,"b":0,"c":0}',
    '{"a":-9223372036854775809,"b":0,"c":0}',
    '{"a":1.5,"b":0,"c":0}',
    '{"a":"0x10","b":0,"c":0}',
  ])
    assert.throws(() => schema.encode(parseExactJson(bad)), mismatch, bad);
});

test('avro: longs nested in arrays, maps and unions; doubles and floats take a long integer', () => {
  const schema = parseAvro(
    JSON.stringify({
      type: 'record',
      name: 'Nested',
      fields: [
        { name: 'list', type: { type: 'array', items: 'long' } },
        { name: 'byName', type: { type: 'map', values: 'long' } },
        { name: 'maybe', type: ['null', 'long'] },
        {
          name: 'inner',
          type: { type: 'record', name: 'Inner', fields: [{ name: 'id', type: 'long' }] },
        },
        { name: 'd', type: 'double' },
        { name: 'f', type: 'float' },
        { name: 'small', type: 'double' },
      ],
    }),
  );
  const text =
    `{"list":[1,${ABOVE_2_53},${MIN_INT64}],"byName":{"k":${MAX_INT64}},"maybe":{"long":${ABOVE_2_53}},` +
    `"inner":{"id":${MIN_INT64}},"d":12345678901234567890,"f":1,"small":1.5e300}`;
  const decoded = schema.decode(schema.encode(parseExactJson(text)).payload);
  assert.equal(
    stringifyExactJson(decoded),
    `{"list":[1,${ABOVE_2_53},${MIN_INT64}],"byName":{"k":${MAX_INT64}},"maybe":{"long":${ABOVE_2_53}},` +
      `"inner":{"id":${MIN_INT64}},"d":12345678901234567000,"f":1,"small":1.5e+300}`,
  );
  // an integer beyond 2^53 where the schema has no long is a mismatch, not a crash
  const ints = parseAvro(
    JSON.stringify({ type: 'record', name: 'I', fields: [{ name: 'n', type: 'int' }] }),
  );
  assert.throws(() => ints.encode(parseExactJson(`{"n":${ABOVE_2_53}}`)), mismatch);
});

const JSON_SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    id: { type: 'integer' },
    ids: { type: 'array', items: { type: 'integer', minimum: 0 } },
    f: { type: 'number' },
    s: { type: 'string' },
  },
  additionalProperties: false,
});

test('json schema integer: big integers validate as integers and keep their digits', () => {
  const schema = parseJsonSchema(JSON_SCHEMA);
  const text = `{"id":${MIN_INT64},"ids":[${ABOVE_2_53},${MAX_UINT64}],"f":1e300,"s":"${ABOVE_2_53}"}`;
  const { payload } = schema.encode(parseExactJson(text));
  assert.equal(payload.toString('utf8'), text.replace('1e300', '1e+300'));
  assert.equal(stringifyExactJson(schema.decode(payload)), text.replace('1e300', '1e+300'));
  // still checked: a negative where minimum is 0, a number where a string must be
  assert.throws(() => schema.encode(parseExactJson(`{"ids":[${MIN_INT64}]}`)), mismatch);
  assert.throws(() => schema.encode(parseExactJson(`{"s":${ABOVE_2_53}}`)), mismatch);
  assert.throws(() => schema.encode(parseExactJson(`{"id":"${ABOVE_2_53}"}`)), mismatch);
});

const PROTO = `syntax = "proto3";
message Numbers {
  int64 a = 1;
  uint64 b = 2;
  sint64 c = 3;
  repeated int64 list = 4;
  Inner inner = 5;
  double d = 6;
  message Inner { fixed64 f = 1; sfixed64 g = 2; }
}`;

test('protobuf int64/uint64: big numbers and numeric strings accepted without loss; canonical strings out', () => {
  const schema = parseProtobuf(PROTO);
  const value = parseExactJson(
    `{"a":${MIN_INT64},"b":${MAX_UINT64},"c":"${MAX_INT64}","list":[${ABOVE_2_53},"-1",2],` +
      `"inner":{"f":"${MAX_UINT64}","g":-${ABOVE_2_53}},"d":12345678901234567890}`,
  );
  const { payload } = schema.encode(value);
  // read back by protobufjs itself
  const type = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('Numbers');
  const direct = type.toObject(type.decode(payload), { longs: String });
  assert.equal(direct['a'], MIN_INT64);
  assert.equal(direct['b'], MAX_UINT64);
  assert.equal(direct['c'], MAX_INT64);
  assert.deepEqual(direct['list'], [ABOVE_2_53, '-1', '2']);
  assert.deepEqual(direct['inner'], { f: MAX_UINT64, g: `-${ABOVE_2_53}` });
  assert.deepEqual(schema.decode(payload), {
    a: MIN_INT64,
    b: MAX_UINT64,
    c: MAX_INT64,
    list: [ABOVE_2_53, '-1', '2'],
    inner: { f: MAX_UINT64, g: `-${ABOVE_2_53}` },
    d: 12345678901234567000,
  });
});

test('protobuf 64-bit: out of range for the type, fractions and non-decimal strings are refused', () => {
  const schema = parseProtobuf(PROTO);
  for (const bad of [
    '{"a":9223372036854775808}',
    `{"a":"-9223372036854775809"}`,
    '{"b":-1}',
    '{"b":18446744073709551616}',
    '{"a":1.5}',
    '{"a":"1e3"}',
    '{"a":"0x10"}',
  ])
    assert.throws(() => schema.encode(parseExactJson(bad)), mismatch, bad);
});
