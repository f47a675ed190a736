import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as protobuf from 'protobufjs';
import { CodecError } from '../errors';
import { SchemaSerde } from '../schema-serde';
import type { RegisteredSchema, SchemaRegistry } from '../schema-registry/schema-registry.client';
import { encodeMessageIndexes } from '../wire-format';
import { parseProtobuf } from './protobuf.serde';

const isCode =
  (code: string) =>
  (e: unknown): boolean =>
    e instanceof CodecError && e.code === code;

/** Bytes of `value` as `typeName` written by protobufjs directly (another producer's bytes). */
function encodeAs(schema: string, typeName: string, value: Record<string, unknown>): Buffer {
  const type = protobuf.parse(schema, { keepCase: true }).root.lookupType(typeName);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

test('protobuf: a one-line proto3 schema (Confluent quickstart form) is parsed', () => {
  const schema = parseProtobuf('syntax="proto3"; message User { string name = 1; }');
  assert.equal(schema.recordName, 'User');
  const { payload, messageIndexes } = schema.encode({ name: 'ann' });
  assert.deepEqual(messageIndexes, [0]);
  assert.equal(payload.toString('hex'), '0a03616e6e');
  assert.deepEqual(schema.decode(payload, [0]), { name: 'ann' });
  // proto3 is known from the parser on one line too: a default value is not written
  assert.equal(schema.encode({ name: '' }).payload.length, 0);
});

// Message indexes as Confluent's serializer numbers them: messages only (the enum, the map field
// and the service are not counted), in declaration order, nested ones relative to their parent.
const ONE_LINE =
  'syntax = "proto3"; package p; message A { string a = 1; enum E { E0 = 0; } map<string, int32> m = 6;' +
  ' message B { string b = 2; } message C { string c = 3; message D { string d = 4; } } }' +
  ' service S { rpc Get (A) returns (F); } enum Top { T0 = 0; } message F { string f = 5; }';

test('protobuf: several and nested messages on one line follow declaration order', () => {
  const schema = parseProtobuf(ONE_LINE);
  assert.equal(schema.recordName, 'p.A');
  const cases: [string, string, number[]][] = [
    ['p.A', 'a', [0]],
    ['p.A.B', 'b', [0, 0]],
    ['p.A.C', 'c', [0, 1]],
    ['p.A.C.D', 'd', [0, 1, 0]],
    ['p.F', 'f', [1]],
  ];
  for (const [typeName, field, indexes] of cases) {
    // distinct field numbers: decoded with any other message, the value would come back empty
    const bytes = encodeAs(ONE_LINE, typeName, { [field]: 'v' });
    assert.deepEqual(schema.decode(bytes, indexes), { [field]: 'v' }, typeName);
  }
  for (const indexes of [[2], [0, 2], [0, 1, 1]])
    assert.throws(
      () => schema.decode(Buffer.alloc(0), indexes),
      isCode('deserialization_failed'),
      `[${indexes.join(', ')}]`,
    );
});

test('protobuf: comments and fields that say "message" declare nothing', () => {
  const text = `/*
message Second { string s = 1; }
message First { string f = 1; }
*/
syntax = "proto3"; // message Trailing {}
message First { string message = 1; } message Second { string s = 2; }
// message Third { }
`;
  const schema = parseProtobuf(text);
  assert.equal(schema.recordName, 'First');
  assert.deepEqual(schema.decode(schema.encode({ message: 'm' }).payload), { message: 'm' });
  assert.deepEqual(schema.decode(encodeAs(text, 'Second', { s: 'x' }), [1]), { s: 'x' });
  assert.throws(() => schema.decode(Buffer.alloc(0), [2]), isCode('deserialization_failed'));
});

test('protobuf: proto2 fields keep presence and groups are not counted as messages', () => {
  const text =
    'syntax = "proto2"; message G { optional string g = 1; optional group Grp = 2 { optional string x = 3; }' +
    ' message H { optional string h = 4; } }';
  const schema = parseProtobuf(text);
  // explicit presence: an empty string set is written (tag 1, length 0)
  assert.equal(schema.encode({ g: '' }).payload.toString('hex'), '0a00');
  assert.deepEqual(schema.decode(encodeAs(text, 'G.H', { h: 'y' }), [0, 0]), { h: 'y' });
});

test('protobuf: a schema without a message, or that does not parse, is schema_invalid', () => {
  assert.throws(
    () => parseProtobuf('syntax = "proto3"; enum E { A = 0; }'),
    (e: unknown) => isCode('schema_invalid')(e) && /defines no message/.test((e as Error).message),
  );
  assert.throws(() => parseProtobuf('syntax = "proto3"; message {'), isCode('schema_invalid'));
  assert.throws(
    () => parseProtobuf('syntax = "proto3"; import "missing.proto"; message M { string a = 1; }'),
    isCode('schema_invalid'),
  );
});

/** Just enough registry to serve a schema with references by id (no registration). */
class ReferencesRegistry implements SchemaRegistry {
  constructor(
    private readonly byId: ReadonlyMap<number, RegisteredSchema>,
    private readonly bySubject: ReadonlyMap<string, RegisteredSchema>,
  ) {}
  async getById(id: number): Promise<RegisteredSchema> {
    const s = this.byId.get(id);
    if (s === undefined) throw new CodecError('schema_not_found', `Schema ${id} not found`);
    return s;
  }
  async getVersion(subject: string): Promise<RegisteredSchema & { version: number }> {
    const s = this.bySubject.get(subject);
    if (s === undefined) throw new CodecError('schema_not_found', `${subject} not found`);
    return { ...s, version: 1 };
  }
  register(): Promise<number> {
    return Promise.reject(new Error('not used'));
  }
  /** Every schema served by id counts as registered under `inv-value` (the subject check). */
  async lookup(
    subject: string,
    _type: string,
    schema: string,
  ): Promise<{ id: number; version: number }> {
    const hit = [...this.byId.values()].find((s) => s.schema === schema);
    if (subject !== 'inv-value' || hit === undefined)
      throw new CodecError('schema_not_found', `not under ${subject}`);
    return { id: hit.id, version: 1 };
  }
}

test('protobuf: one-line imports resolve through registry references; imported messages are not indexed', async () => {
  // the same package in both files: the imported Money must not become message index 1
  const money: RegisteredSchema = {
    id: 1,
    schemaType: 'PROTOBUF',
    schema:
      'syntax = "proto3"; package shop; message Money { string currency = 1; int64 units = 2; }',
    references: [],
  };
  const invoice: RegisteredSchema = {
    id: 2,
    schemaType: 'PROTOBUF',
    schema:
      'syntax = "proto3"; package shop; import "shop/money.proto"; message Invoice { string id = 1; Money total = 2; }',
    references: [{ name: 'shop/money.proto', subject: 'money-value', version: 1 }],
  };
  const serde = new SchemaSerde(
    new ReferencesRegistry(
      new Map([
        [1, money],
        [2, invoice],
      ]),
      new Map([['money-value', money]]),
    ),
  );
  const w = await serde.writer('inv', 'value', 'protobuf', { schemaId: 2 });
  const value = { id: 'i-1', total: { currency: 'EUR', units: '1200' } };
  const bytes = w.serialize(value)!;
  assert.deepEqual(await serde.deserialize(bytes, 'protobuf'), value);
  // the same payload under message indexes [1] names no message of this file
  const asSecond = Buffer.concat([
    bytes.subarray(0, 5),
    encodeMessageIndexes([1]),
    bytes.subarray(6), // after the header and the one-byte indexes [0]
  ]);
  assert.throws(
    () => serde.deserializeLoaded(asSecond, 'protobuf'),
    isCode('deserialization_failed'),
  );
});
