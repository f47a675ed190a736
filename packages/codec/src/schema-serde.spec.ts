import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from './errors';
import { parseExactJson } from './exact-json';
import { SchemaNotLoadedError, SchemaSerde } from './schema-serde';
import type {
  RegisteredSchema,
  SchemaReference,
  SchemaRegistry,
  SchemaType,
} from './schema-registry/schema-registry.client';

/** An in-memory registry that counts its calls (each call stands for network I/O). */
class FakeRegistry implements SchemaRegistry {
  calls = 0;
  private readonly schemas: RegisteredSchema[] = [];
  private readonly subjects = new Map<string, number[]>();
  async register(
    subject: string,
    schemaType: SchemaType,
    schema: string,
    references: readonly SchemaReference[] = [],
  ): Promise<number> {
    this.calls++;
    await new Promise((r) => setTimeout(r, 5));
    let existing = this.schemas.find((s) => s.schema === schema && s.schemaType === schemaType);
    if (existing === undefined) {
      existing = { id: this.schemas.length + 1, schemaType, schema, references };
      this.schemas.push(existing);
    }
    const versions = this.subjects.get(subject) ?? [];
    if (!versions.includes(existing.id)) versions.push(existing.id);
    this.subjects.set(subject, versions);
    return existing.id;
  }
  async getById(id: number): Promise<RegisteredSchema> {
    this.calls++;
    const s = this.schemas[id - 1];
    if (s === undefined) throw new CodecError('schema_not_found', `Schema ${id} not found`);
    return s;
  }
  async getVersion(
    subject: string,
    version: number | 'latest',
  ): Promise<RegisteredSchema & { version: number }> {
    this.calls++;
    const versions = this.subjects.get(subject) ?? [];
    const v = version === 'latest' ? versions.length : version;
    const id = versions[v - 1];
    if (id === undefined) throw new CodecError('schema_not_found', 'not found');
    return { ...this.schemas[id - 1]!, version: v };
  }
  async lookup(
    subject: string,
    schemaType: SchemaType,
    schema: string,
  ): Promise<{ id: number; version: number }> {
    this.calls++;
    const versions = this.subjects.get(subject) ?? [];
    const i = versions.findIndex((id) => {
      const s = this.schemas[id - 1]!;
      return s.schema === schema && s.schemaType === schemaType;
    });
    if (i < 0) throw new CodecError('schema_not_found', `not under ${subject}`);
    return { id: versions[i]!, version: i + 1 };
  }
}

const USER = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'nick', type: ['null', 'string'], default: null },
    { name: 'age', type: 'long' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
});

test('raw schema: registered under <topic>-value, then serialize/deserialize with no further I/O', async () => {
  const registry = new FakeRegistry();
  const serde = new SchemaSerde(registry);
  const writer = await serde.writer('users', 'value', 'avro', { schema: USER });
  assert.equal(writer.schemaId, 1);
  const bytes = writer.serialize({ name: 'alice', nick: { string: 'al' }, age: 42, tags: ['x'] });
  assert.ok(bytes !== null && bytes[0] === 0 && bytes.readUInt32BE(1) === 1);
  const callsAfterWriter = registry.calls;
  assert.deepEqual(await serde.deserialize(bytes, 'avro'), {
    name: 'alice',
    nick: { string: 'al' },
    age: 42,
    tags: ['x'],
  });
  assert.equal(writer.serialize(null), null);
  assert.equal(registry.calls, callsAfterWriter, 'the cached paths did no I/O');
  assert.ok(serde.isCached(1));
});

test('schema id: fetched once, shared by concurrent requests, cached afterwards', async () => {
  const registry = new FakeRegistry();
  const id = await registry.register('t-value', 'AVRO', USER);
  registry.calls = 0;
  const serde = new SchemaSerde(registry);
  const writers = await Promise.all(
    Array.from({ length: 20 }, () => serde.writer('t', 'value', 'avro', { schemaId: id })),
  );
  // one fetch of the schema; the subject check (getById + lookup under t-value) once as well
  assert.equal(registry.calls, 3, 'twenty concurrent requests, one fetch and one subject check');
  await serde.writer('t', 'value', 'avro', { schemaId: id });
  assert.equal(registry.calls, 3);
  assert.equal(writers[0]!.schemaId, id);
});

test('schema id not registered under <topic>-<role>: schema_not_found (42207), retried later', async () => {
  const registry = new FakeRegistry();
  const id = await registry.register('other-value', 'AVRO', USER);
  const serde = new SchemaSerde(registry);
  await assert.rejects(serde.writer('t', 'value', 'avro', { schemaId: id }), (e: unknown) => {
    assert.ok(e instanceof CodecError);
    assert.equal(e.code, 'schema_not_found');
    assert.match(e.message, /not registered under subject t-value/);
    return true;
  });
  await assert.rejects(serde.writer('t', 'key', 'avro', { schemaId: id }), {
    code: 'schema_not_found',
  });
  // registered under the subject afterwards: found then (failures are not cached)
  await registry.register('t-value', 'AVRO', USER);
  assert.equal((await serde.writer('t', 'value', 'avro', { schemaId: id })).schemaId, id);
  assert.equal(await serde.versionUnder('t-value', id), 1);
});

test('errors are data with stable codes', async () => {
  const serde = new SchemaSerde(new FakeRegistry());
  const code = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (e) {
      if (e instanceof CodecError) return e.code;
      throw e;
    }
    return 'none';
  };
  assert.equal(
    await code(new SchemaSerde(undefined).writer('t', 'value', 'avro', { schema: USER })),
    'schema_registry_not_configured',
  );
  assert.equal(await code(serde.writer('t', 'key', 'avro', {})), 'key_schema_missing');
  assert.equal(await code(serde.writer('t', 'value', 'avro', {})), 'value_schema_missing');
  assert.equal(
    await code(serde.writer('t', 'value', 'avro', { schema: '{"type":"record"' })),
    'schema_invalid',
  );
  assert.equal(
    await code(serde.writer('t', 'value', 'avro', { schemaId: 99 })),
    'schema_not_found',
  );
  const w = await serde.writer('t', 'value', 'avro', { schema: USER });
  assert.throws(
    () => w.serialize({ name: 1 }),
    (e: unknown) => e instanceof CodecError && e.code === 'schema_mismatch',
  );
  assert.equal(
    await code(serde.writer('t', 'value', 'jsonschema', { schemaId: w.schemaId })),
    'schema_invalid',
  );
  assert.equal(
    await code(serde.deserialize(Buffer.from('not wire'), 'avro')),
    'invalid_wire_format',
  );
});

test('property: avro records round-trip', async () => {
  const serde = new SchemaSerde(new FakeRegistry());
  const w = await serde.writer('p', 'value', 'avro', { schema: USER });
  await fc.assert(
    fc.asyncProperty(
      fc.record(
        {
          name: fc.string(),
          nick: fc.option(
            fc.string().map((s) => ({ string: s })),
            { nil: null },
          ),
          age: fc.maxSafeInteger(),
          tags: fc.array(fc.string({ unit: 'grapheme' })),
        },
        { noNullPrototype: true },
      ),
      async (value) => {
        assert.deepEqual(await serde.deserialize(w.serialize(value), 'avro'), value);
      },
    ),
  );
});

test('property: json schema values round-trip', async () => {
  const serde = new SchemaSerde(new FakeRegistry());
  const schema = JSON.stringify({
    type: 'object',
    properties: { id: { type: 'integer' }, data: {} },
    required: ['id'],
  });
  const w = await serde.writer('p', 'value', 'jsonschema', { schema });
  await fc.assert(
    fc.asyncProperty(
      fc.record(
        { id: fc.integer(), data: fc.jsonValue({ noUnicodeString: false }) },
        { noNullPrototype: true },
      ),
      async (value) => {
        // -0 and the like as JSON has them; integers beyond 2^53 as the exact parse reads them
        const normalized = parseExactJson(JSON.stringify(value));
        assert.deepEqual(
          await serde.deserialize(w.serialize(normalized), 'jsonschema'),
          normalized,
        );
      },
    ),
  );
  assert.throws(
    () => w.serialize({ data: 1 }),
    (e: unknown) => e instanceof CodecError && e.code === 'schema_mismatch',
  );
});

const PROTO = `syntax = "proto3";
message Event {
  string event_id = 1;
  int64 sequence = 2;
  repeated string labels = 3;
  map<string, int32> counts = 4;
  Kind kind = 5;
  Inner inner = 6;
  enum Kind { KIND_UNKNOWN = 0; KIND_A = 1; KIND_B = 2; }
  message Inner { bool flag = 1; bytes blob = 2; }
}`;

test('property: protobuf messages round-trip through the proto3 JSON mapping', async () => {
  const serde = new SchemaSerde(new FakeRegistry());
  const w = await serde.writer('p', 'value', 'protobuf', { schema: PROTO });
  await fc.assert(
    fc.asyncProperty(
      fc.record(
        {
          eventId: fc.string({ minLength: 1 }),
          sequence: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
          labels: fc.array(fc.string(), { minLength: 1 }),
          counts: fc.dictionary(
            // "__proto__" is refused explicitly (see the test below)
            fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'),
            fc.integer({ min: 1, max: 2 ** 31 - 1 }),
            { minKeys: 1, noNullPrototype: true },
          ),
          kind: fc.constantFrom('KIND_A', 'KIND_B'),
          inner: fc.record(
            {
              flag: fc.constant(true),
              blob: fc.uint8Array({ minLength: 1 }).map((b) => Buffer.from(b).toString('base64')),
            },
            { noNullPrototype: true },
          ),
        },
        { requiredKeys: [], noNullPrototype: true },
      ),
      async (value) => {
        assert.deepEqual(await serde.deserialize(w.serialize(value), 'protobuf'), value);
      },
    ),
  );
  // snake_case field names are accepted on input too
  assert.deepEqual(await serde.deserialize(w.serialize({ event_id: 'x' }), 'protobuf'), {
    eventId: 'x',
  });
  assert.throws(
    () => w.serialize({ nope: 1 }),
    (e: unknown) => e instanceof CodecError && e.code === 'schema_mismatch',
  );
  assert.throws(
    () => w.serialize({ sequence: 'abc' }),
    (e: unknown) => e instanceof CodecError && e.code === 'schema_mismatch',
  );
});

test('protobuf references are fetched from the registry and resolved', async () => {
  const registry = new FakeRegistry();
  const dep =
    'syntax = "proto3";\npackage common;\nmessage Money { string currency = 1; int64 units = 2; }\n';
  await registry.register('money.proto', 'PROTOBUF', dep);
  const main =
    'syntax = "proto3";\nimport "money.proto";\nmessage Invoice { string id = 1; common.Money total = 2; }\n';
  const id = await registry.register('inv-value', 'PROTOBUF', main, [
    { name: 'money.proto', subject: 'money.proto', version: 1 },
  ]);
  const serde = new SchemaSerde(registry);
  const w = await serde.writer('inv', 'value', 'protobuf', { schemaId: id });
  const value = { id: 'i-1', total: { currency: 'EUR', units: '1200' } };
  assert.deepEqual(await serde.deserialize(w.serialize(value), 'protobuf'), value);
});

test('sync decode path: load, deserializeLoaded, remembered load failures', async () => {
  const registry = new FakeRegistry();
  const bytes = (
    await new SchemaSerde(registry).writer('t', 'value', 'avro', { schema: USER })
  ).serialize({
    name: 'ann',
    nick: null,
    age: 7,
    tags: [],
  });
  const reader = new SchemaSerde(registry);
  assert.equal(reader.deserializeLoaded(null, 'avro'), null);
  assert.throws(
    () => reader.deserializeLoaded(bytes, 'avro'),
    (e: unknown) =>
      e instanceof SchemaNotLoadedError &&
      e.schemaId === 1 &&
      e.code === 'schema_registry_unavailable' &&
      e.retriable,
  );
  assert.throws(
    () => reader.deserializeLoaded(Buffer.from('{"plain":"json"}'), 'avro'),
    (e: unknown) => e instanceof CodecError && e.code === 'invalid_wire_format',
  );
  await reader.load(1);
  const calls = registry.calls;
  assert.deepEqual(reader.deserializeLoaded(bytes, 'avro'), {
    name: 'ann',
    nick: null,
    age: 7,
    tags: [],
  });
  assert.equal(registry.calls, calls, 'a loaded schema decodes without I/O');
  assert.throws(
    () => reader.deserializeLoaded(bytes, 'jsonschema'),
    (e: unknown) => e instanceof CodecError && e.code === 'deserialization_failed',
  );
  // a failed load does not reject: the next decode of that id reports it, once
  await reader.load(99);
  const unknown = Buffer.from(bytes!);
  unknown.writeUInt32BE(99, 1);
  assert.throws(
    () => reader.deserializeLoaded(unknown, 'avro'),
    (e: unknown) => e instanceof CodecError && e.code === 'schema_not_found',
  );
  assert.throws(
    () => reader.deserializeLoaded(unknown, 'avro'),
    (e: unknown) => e instanceof SchemaNotLoadedError && e.schemaId === 99,
    'after reporting the failure, the id is to be loaded again',
  );
});

test('v3 resolveWriter: raw schema registers under the strategy subject and reports its version', async () => {
  const registry = new FakeRegistry();
  const serde = new SchemaSerde(registry);
  const w = await serde.resolveWriter('orders', 'value', { format: 'avro', schema: USER });
  assert.deepEqual([w.subject, w.schemaVersion, w.format], ['orders-value', 1, 'avro']);
  const rec = await serde.resolveWriter('orders', 'value', {
    format: 'avro',
    schema: USER,
    subjectNameStrategy: 'TOPIC_RECORD_NAME',
  });
  assert.equal(rec.subject, 'orders-User');
  const named = await serde.resolveWriter('orders', 'key', {
    format: 'avro',
    schema: USER,
    subjectNameStrategy: 'RECORD_NAME',
  });
  assert.equal(named.subject, 'User');
  const explicit = await serde.resolveWriter('orders', 'key', {
    format: 'avro',
    schema: USER,
    subject: 'custom',
  });
  assert.equal(explicit.subject, 'custom');
});

test('v3 resolveWriter: by id, by version and latest; type taken from the registry', async () => {
  const registry = new FakeRegistry();
  const id = await registry.register('t-value', 'AVRO', USER);
  const serde = new SchemaSerde(registry);
  const byId = await serde.resolveWriter('t', 'value', { schemaId: id });
  assert.deepEqual([byId.schemaId, byId.schemaVersion, byId.format], [id, 1, 'avro']);
  const byVersion = await serde.resolveWriter('t', 'value', { schemaVersion: 1 });
  assert.equal(byVersion.schemaId, id);
  const latest = await serde.resolveWriter('t', 'value', {});
  assert.equal(latest.schemaId, id);
  const bytes = latest.serialize({ name: 'a', nick: null, age: 1, tags: [] });
  assert.deepEqual(await serde.deserialize(bytes, 'avro'), {
    name: 'a',
    nick: null,
    age: 1,
    tags: [],
  });
  // an id not registered under the subject, a type that does not match, a strategy without schema
  await assert.rejects(serde.resolveWriter('other', 'value', { schemaId: id }), {
    code: 'schema_not_found',
  });
  await assert.rejects(serde.resolveWriter('t', 'value', { schemaId: id, format: 'protobuf' }), {
    code: 'schema_invalid',
  });
  await assert.rejects(serde.resolveWriter('t', 'value', { subjectNameStrategy: 'RECORD_NAME' }), {
    code: 'invalid_payload',
  });
});

test('a "__proto__" map key is refused (schema_mismatch), never silently dropped', async () => {
  const serde = new SchemaSerde(new FakeRegistry());
  const avroMap = JSON.stringify({ type: 'map', values: 'int' });
  const avro = await serde.writer('m', 'value', 'avro', { schema: avroMap });
  assert.deepEqual(await serde.deserialize(avro.serialize({ a: 1 }), 'avro'), { a: 1 });
  const proto = await serde.writer('m', 'key', 'protobuf', {
    schema: 'syntax = "proto3";\nmessage M { map<string, int32> counts = 1; }\n',
  });
  for (const [w, format] of [
    [avro, 'avro'],
    [proto, 'protobuf'],
  ] as const) {
    const value: unknown =
      format === 'avro'
        ? JSON.parse('{"__proto__": 1}')
        : JSON.parse('{"counts": {"__proto__": 1}}');
    assert.throws(
      () => w.serialize(value),
      (e: unknown) => e instanceof CodecError && e.code === 'schema_mismatch',
      format,
    );
  }
});
