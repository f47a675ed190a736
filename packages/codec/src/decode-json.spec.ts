import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from './errors';
import { JsonText, parseExactJson, stringifyExactJson } from './exact-json';
import { Base64Field, JsonBufferWriter, JsonBytes, jsonFieldSize } from './json-buffer';
import { SchemaNotLoadedError, SchemaSerde } from './schema-serde';
import type {
  RegisteredSchema,
  SchemaRegistry,
  SchemaType,
} from './schema-registry/schema-registry.client';
import { binaryResponseField, encodeBinaryField } from './serializers/binary.serializer';
import { jsonFieldBytes } from './serializers/json.serializer';
import { encodeWire } from './wire-format';

/** Serves the schemas registered in it by id (no subjects needed for decoding). */
class IdRegistry implements SchemaRegistry {
  private readonly schemas: RegisteredSchema[] = [];
  add(schemaType: SchemaType, schema: string): number {
    this.schemas.push({ id: this.schemas.length + 1, schemaType, schema, references: [] });
    return this.schemas.length;
  }
  async register(): Promise<number> {
    throw new Error('not used');
  }
  async getById(id: number): Promise<RegisteredSchema> {
    const s = this.schemas[id - 1];
    if (s === undefined) throw new CodecError('schema_not_found', `Schema ${id} not found`);
    return s;
  }
  async getVersion(): Promise<RegisteredSchema & { version: number }> {
    throw new Error('not used');
  }
  async lookup(): Promise<{ id: number; version: number }> {
    throw new Error('not used');
  }
}

/** What a consumer answer holds for a field, through the writer. */
function written(v: unknown): string {
  const w = new JsonBufferWriter(1);
  w.field(v);
  return w.finish().toString('utf8');
}

test('writer: every field form, UTF-8 text, growth past the size hint', () => {
  assert.equal(written(null), 'null');
  assert.equal(written(undefined), 'null');
  assert.equal(written(new Base64Field(Buffer.from('hi'))), '"aGk="');
  assert.equal(written(new Base64Field(Buffer.alloc(0))), '""');
  assert.equal(
    written(new JsonBytes(Buffer.from('{"a": 9007199254740993}'))),
    '{"a": 9007199254740993}',
  );
  assert.equal(written(new JsonText('["é", "😀"]')), '["é", "😀"]');
  assert.equal(
    written({ n: -9223372036854775808n, s: 'é\u0000"' }),
    '{"n":-9223372036854775808,"s":"é\\u0000\\""}',
  );
  assert.equal(written('plain'), '"plain"');
  const w = new JsonBufferWriter(4);
  const parts: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(`bytes ${i} ü`);
    w.field(new Base64Field(b));
    w.ascii(',');
    w.text('ü€');
    parts.push(`"${b.toString('base64')}",ü€`);
  }
  assert.equal(w.finish().toString('utf8'), parts.join(''));
  assert.equal(w.length, Buffer.byteLength(parts.join('')));
});

test('writer size hint: exact for base64 and bytes, a lower bound for text', () => {
  for (const n of [0, 1, 2, 3, 4, 100, 1024]) {
    const b = Buffer.alloc(n, 7);
    assert.equal(jsonFieldSize(new Base64Field(b)), written(new Base64Field(b)).length);
    assert.equal(jsonFieldSize(new JsonBytes(b)), n);
  }
  assert.ok(jsonFieldSize(new JsonText('"é"')) <= Buffer.byteLength('"é"'));
});

test('binary field: the same base64 text as encodeBinaryField, null stays null', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const b = Buffer.from(bytes);
      assert.equal(written(binaryResponseField(b)), JSON.stringify(encodeBinaryField(b)));
    }),
  );
  assert.equal(binaryResponseField(null), null);
});

test('json field bytes: spliced when valid UTF-8 JSON, text form otherwise, refused when not JSON', () => {
  const ok = jsonFieldBytes(Buffer.from('{"id": 9007199254740993, "s": "é"}'));
  assert.ok(ok.ok && ok.value instanceof JsonBytes);
  assert.equal(written(ok.value), '{"id": 9007199254740993, "s": "é"}');
  // a lone continuation byte inside a string: JSON after decoding (U+FFFD), not valid UTF-8
  const invalid = Buffer.concat([Buffer.from('"a'), Buffer.from([0x80]), Buffer.from('b"')]);
  const text = jsonFieldBytes(invalid);
  assert.ok(text.ok && text.value instanceof JsonText);
  assert.equal(written(text.value), '"a\ufffdb"');
  assert.deepEqual(jsonFieldBytes(Buffer.from('{nope')), { ok: false });
  assert.deepEqual(jsonFieldBytes(null), { ok: true, value: null });
});

const RICH_AVRO = JSON.stringify({
  type: 'record',
  name: 'Rich',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'nick', type: ['null', 'string'] },
    { name: 'score', type: 'double' },
    { name: 'ratio', type: 'float' },
    { name: 'blob', type: 'bytes' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'counts', type: { type: 'map', values: 'long' } },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
  ],
});

test('avro: the answer form is the text of the decoded value, longs beyond 2^53 included', async () => {
  const registry = new IdRegistry();
  const id = registry.add('AVRO', RICH_AVRO);
  const serde = new SchemaSerde(registry);
  const schema = serde.parseRaw('avro', RICH_AVRO);
  await serde.load(id);
  const long = fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.maxSafeInteger().map(BigInt),
  );
  fc.assert(
    fc.property(
      fc.record(
        {
          id: long,
          name: fc.string({ unit: 'grapheme' }),
          nick: fc.option(
            fc.string().map((s) => ({ string: s })),
            { nil: null },
          ),
          score: fc.double({ noNaN: true, noDefaultInfinity: true }),
          ratio: fc.float({ noNaN: true, noDefaultInfinity: true }),
          blob: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString('latin1')),
          tags: fc.array(fc.string()),
          counts: fc.dictionary(
            fc.string().filter((k) => k !== '__proto__'),
            long,
            { noNullPrototype: true },
          ),
          kind: fc.constantFrom('A', 'B'),
        },
        { noNullPrototype: true },
      ),
      (value) => {
        const bytes = encodeWire(id, schema.encode(value).payload);
        const json = serde.deserializeLoadedJson(bytes, 'avro');
        assert.ok(json instanceof JsonText);
        assert.equal(written(json), stringifyExactJson(serde.deserializeLoaded(bytes, 'avro')));
      },
    ),
  );
  assert.throws(
    () => serde.deserializeLoadedJson(encodeWire(id, Buffer.from([0x01])), 'avro'),
    (e: unknown) => e instanceof CodecError && e.code === 'deserialization_failed',
  );
  assert.equal(serde.deserializeLoadedJson(null, 'avro'), null);
  assert.throws(
    () => serde.deserializeLoadedJson(encodeWire(99, Buffer.from([0])), 'avro'),
    (e: unknown) => e instanceof SchemaNotLoadedError && e.schemaId === 99,
  );
});

test('json schema: the payload bytes are the answer form; protobuf gives its value', async () => {
  const registry = new IdRegistry();
  const js = registry.add('JSON', JSON.stringify({ type: 'object' }));
  const pb = registry.add(
    'PROTOBUF',
    'syntax = "proto3";\nmessage M { int64 n = 1; string s = 2; }\n',
  );
  const serde = new SchemaSerde(registry);
  await serde.load(js);
  await serde.load(pb);
  const text = '{"n": 18446744073709551615, "s": "é"}';
  const bytes = encodeWire(js, Buffer.from(text));
  const json = serde.deserializeLoadedJson(bytes, 'jsonschema');
  assert.ok(json instanceof JsonBytes);
  assert.equal(written(json), text);
  assert.deepEqual(parseExactJson(written(json)), serde.deserializeLoaded(bytes, 'jsonschema'));
  assert.throws(
    () => serde.deserializeLoadedJson(encodeWire(js, Buffer.from('{nope')), 'jsonschema'),
    (e: unknown) => e instanceof CodecError && e.code === 'deserialization_failed',
  );
  const m = serde.parseRaw(
    'protobuf',
    'syntax = "proto3";\nmessage M { int64 n = 1; string s = 2; }\n',
  );
  const { payload, messageIndexes } = m.encode({ n: '9223372036854775807', s: 'x' });
  const pbBytes = encodeWire(pb, payload, messageIndexes);
  assert.deepEqual(
    serde.deserializeLoadedJson(pbBytes, 'protobuf'),
    serde.deserializeLoaded(pbBytes, 'protobuf'),
  );
  assert.throws(
    () => serde.deserializeLoadedJson(bytes, 'avro'),
    (e: unknown) => e instanceof CodecError && e.code === 'deserialization_failed',
  );
});
