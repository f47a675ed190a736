import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as avro from 'avsc';
import { CodecError } from '../errors';
import { parseAvro } from './avro.serde';

// The encoder used to go through a JSON text (`type.fromString(JSON.stringify(value))`, then
// `isValid`, then `toBuffer`); it now applies avsc's JSON rules to the parsed value directly and
// checks only on a refusal. These cases pin that the bytes and the refusals are the same.
const SCHEMA = {
  type: 'record',
  name: 'Everything',
  fields: [
    { name: 'i', type: 'int' },
    { name: 'l', type: 'long' },
    { name: 'd', type: 'double' },
    { name: 'f', type: 'float' },
    { name: 's', type: 'string' },
    { name: 'b', type: 'bytes' },
    { name: 'fx', type: { type: 'fixed', name: 'Two', size: 2 } },
    { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
    { name: 'u', type: ['null', 'string', 'double'] },
    { name: 'a', type: { type: 'array', items: 'int' } },
    { name: 'm', type: { type: 'map', values: 'long' } },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'opt', type: 'string', default: 'dflt' },
    {
      name: 'n',
      type: { type: 'record', name: 'Inner', fields: [{ name: 'x', type: ['null', 'Inner'] }] },
    },
  ],
};

const base = {
  i: 1,
  l: 2,
  d: 1.5,
  f: 2.25,
  s: 'héllo \ud83d\ude00',
  b: '\u00ff\u0000a',
  fx: 'ab',
  e: 'GREEN',
  u: { string: 'x' },
  a: [1, 2, 3],
  m: { one: 1, two: 2 },
  ts: 1_700_000_000_000,
  n: { x: { Inner: { x: null } } },
};

const variants: Record<string, unknown>[] = [
  base,
  { ...base, d: -0, f: -0, u: { double: -0 } },
  { ...base, opt: 'given', u: null, a: [], m: {} },
  { ...base, i: -2147483648, l: -(2 ** 40), d: 1e308, f: 1e-7 },
  { ...base, extra: 'ignored, as avsc ignores undeclared fields' },
];

test('avro encode: the same bytes as through a JSON text, -0 included', () => {
  const encoder = parseAvro(JSON.stringify(SCHEMA));
  // the reference: plain avsc through the JSON text (its long takes these numbers; the codec's
  // BigInt long writes the same zigzag varints)
  const plain = avro.Type.forSchema(SCHEMA as avro.Schema, { wrapUnions: true });
  for (const v of variants) {
    const before = plain.toBuffer(plain.fromString(JSON.stringify(v)));
    assert.deepEqual(encoder.encode(v).payload, before, JSON.stringify(v));
  }
});

const mismatch = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof CodecError);
    assert.equal(err.code, 'schema_mismatch');
    return err.message;
  }
  return 'accepted';
};

test('avro encode: refusals are still schema_mismatch, before anything is written', () => {
  const encoder = parseAvro(JSON.stringify(SCHEMA));
  const cases: [string, unknown][] = [
    ['int as a string', { ...base, i: '1' }],
    ['int with a fraction', { ...base, i: 1.5 }],
    ['missing field without default', { ...base, s: undefined }],
    ['unknown enum symbol', { ...base, e: 'BLUE' }],
    ['untagged union', { ...base, u: 'x' }],
    ['fixed of the wrong size', { ...base, fx: 'abc' }],
    ['array item of the wrong type', { ...base, a: [1, 'x'] }],
    ['long out of range', { ...base, l: 2n ** 64n }],
    ['not an object', 'x'],
    ['"__proto__" key', JSON.parse('{"m": {"__proto__": 1}}')],
  ];
  for (const [what, value] of cases) {
    const msg = mismatch(() => encoder.encode(value));
    assert.notEqual(msg, 'accepted', what);
  }
  assert.match(
    mismatch(() => encoder.encode({ ...base, l: 2n ** 64n })),
    / at l$/,
  );
  assert.match(
    mismatch(() => encoder.encode({ ...base, i: 1.5 })),
    /^Value does not match/,
  );
});
