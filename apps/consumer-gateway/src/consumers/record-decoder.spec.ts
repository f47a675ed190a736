import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Base64Field,
  CodecError,
  encodeWire,
  JsonBytes,
  JsonText,
  parseAvro,
  type RegisteredSchema,
  SchemaSerde,
  type SchemaRegistry,
} from '@kafka-gateway/codec';
import type { FetchedRecord } from '../kafka/consumer-port';
import { createDecoders, type Decoded, type RecordDecoder } from './record-decoder';

const AVRO = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'int' }] });

/** Serves schema 7; `down` makes it answer like an unreachable registry. */
class FakeRegistry implements SchemaRegistry {
  down = false;
  calls = 0;
  async register(): Promise<number> {
    return 7;
  }
  refusing = false;
  async getById(id: number): Promise<RegisteredSchema> {
    this.calls++;
    if (this.down) throw new CodecError('schema_registry_unavailable', 'registry down', true);
    if (this.refusing) throw new CodecError('schema_registry_error', 'HTTP 401 Unauthorized');
    if (id !== 7) throw new CodecError('schema_not_found', `Schema ${id} not found`);
    return { id, schemaType: 'AVRO', schema: AVRO, references: [] };
  }
  async getVersion(): Promise<RegisteredSchema & { version: number }> {
    throw new CodecError('schema_not_found', 'no');
  }
  async lookup(): Promise<{ id: number; version: number }> {
    throw new CodecError('schema_not_found', 'no');
  }
}

const avroBytes = (id: number, n: number): Buffer =>
  encodeWire(id, parseAvro(AVRO).encode({ n }).payload);

const rec = (key: Buffer | null, value: Buffer | null): FetchedRecord => ({
  topic: 't',
  partition: 0,
  offset: '5',
  key,
  value,
  timestamp: '0',
});

/** What a consumer instance does: decode, and load a missing writer schema before again. */
async function loadAndDecode(d: RecordDecoder, r: FetchedRecord): Promise<Decoded> {
  for (let i = 0; i < 4; i++) {
    const res = d.decode(r);
    if (res.status !== 'needs-schema') return res;
    await d.load(res.schemaId);
  }
  throw new Error('decode kept asking for a schema');
}

test('binary and json decoders never need a schema', async () => {
  const d = createDecoders(new SchemaSerde(undefined));
  assert.deepEqual(d.binary.decode(rec(null, Buffer.from('hi'))), {
    status: 'ok',
    key: null,
    value: new Base64Field(Buffer.from('hi')),
  });
  // json: the record's own bytes are embedded, digits beyond 2^53 included
  assert.deepEqual(d.json.decode(rec(Buffer.from('"k"'), Buffer.from('{"a":9007199254740993}'))), {
    status: 'ok',
    key: new JsonBytes(Buffer.from('"k"')),
    value: new JsonBytes(Buffer.from('{"a":9007199254740993}')),
  });
  const bad = d.json.decode(rec(null, Buffer.from('{nope')));
  assert.ok(bad.status === 'failed' && bad.field === 'value' && bad.poison);
});

test('avro: the writer schema is loaded once, then decoding is synchronous', async () => {
  const registry = new FakeRegistry();
  const d = createDecoders(new SchemaSerde(registry)).avro;
  const batch = [rec(null, avroBytes(7, 1)), rec(null, avroBytes(7, 2))];
  assert.deepEqual(d.decode(batch[0]!), { status: 'needs-schema', schemaId: 7 });
  await d.load(7);
  assert.equal(registry.calls, 1);
  assert.deepEqual(d.decode(batch[1]!), {
    status: 'ok',
    key: null,
    value: new JsonText('{"n":2}'),
  });
  assert.deepEqual(d.decode(batch[0]!), {
    status: 'ok',
    key: null,
    value: new JsonText('{"n":1}'),
  });
  assert.equal(registry.calls, 1, 'a loaded schema is not fetched again');
});

test('avro: a registry outage is transient, an unknown schema or bad bytes are poison', async () => {
  const registry = new FakeRegistry();
  const d = createDecoders(new SchemaSerde(registry)).avro;
  registry.down = true;
  const r = rec(null, avroBytes(7, 3));
  const outage = await loadAndDecode(d, r);
  assert.ok(
    outage.status === 'failed' &&
      !outage.poison &&
      outage.error.code === 'schema_registry_unavailable',
  );
  registry.down = false;
  registry.refusing = true;
  const refused = await loadAndDecode(d, r);
  assert.ok(
    refused.status === 'failed' && !refused.poison,
    'a registry refusal is not the record’s fault',
  );
  registry.refusing = false;
  assert.deepEqual(await loadAndDecode(d, r), {
    status: 'ok',
    key: null,
    value: new JsonText('{"n":3}'),
  });

  const unknown = rec(null, avroBytes(8, 1));
  const missing = await loadAndDecode(d, unknown);
  assert.ok(
    missing.status === 'failed' && missing.poison && missing.error.code === 'schema_not_found',
  );

  const plain = rec(Buffer.from('plain key'), avroBytes(7, 1));
  const noMagic = await loadAndDecode(d, plain);
  assert.ok(noMagic.status === 'failed' && noMagic.poison && noMagic.field === 'key');
  assert.equal(noMagic.status === 'failed' ? noMagic.error.code : '', 'invalid_wire_format');
});

test('a record written with another schema type does not decode as this format', async () => {
  const registry = new FakeRegistry();
  const d = createDecoders(new SchemaSerde(registry)).jsonschema;
  const r = rec(null, avroBytes(7, 1));
  const res = await loadAndDecode(d, r);
  assert.ok(res.status === 'failed' && res.poison && res.error.code === 'deserialization_failed');
});
