import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { CodecError } from '../errors';
import { SchemaSerde } from '../schema-serde';
import { HttpSchemaRegistry } from './schema-registry.client';

// Against the real Apicurio Registry of the stack (Confluent API), as any registry must work.
const url = process.env['SCHEMA_REGISTRY_URL'];
if (url === undefined) throw new Error('SCHEMA_REGISTRY_URL is not set (run through npm test)');

const subject = (): string => `codec-${randomUUID().slice(0, 8)}-value`;
const V1 = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [{ name: 'name', type: 'string' }],
});
const V2_COMPATIBLE = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'age', type: 'int', default: 0 },
  ],
});
const V3_INCOMPATIBLE = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [{ name: 'age', type: 'int' }],
});

test('register, look up by id, same schema same id, evolve compatibly', async () => {
  const registry = new HttpSchemaRegistry({ url });
  const s = subject();
  const id = await registry.register(s, 'AVRO', V1);
  assert.ok(Number.isInteger(id) && id >= 0);
  const fetched = await new HttpSchemaRegistry({ url }).getById(id);
  assert.equal(fetched.schemaType, 'AVRO');
  assert.deepEqual(JSON.parse(fetched.schema), JSON.parse(V1));
  assert.equal(
    await new HttpSchemaRegistry({ url }).register(s, 'AVRO', V1),
    id,
    'registering again answers the same id',
  );
  const id2 = await registry.register(s, 'AVRO', V2_COMPATIBLE);
  assert.notEqual(id2, id);
  const latest = await registry.getVersion(s, 'latest');
  assert.equal(latest.version, 2);
});

test('an incompatible Avro schema yields the stable schema_incompatible code', async () => {
  const registry = new HttpSchemaRegistry({ url });
  const s = subject();
  await registry.register(s, 'AVRO', V1);
  await assert.rejects(
    registry.register(s, 'AVRO', V3_INCOMPATIBLE),
    (e: unknown) => e instanceof CodecError && e.code === 'schema_incompatible' && !e.retriable,
  );
});

test('an unknown id answers schema_not_found', async () => {
  await assert.rejects(
    new HttpSchemaRegistry({ url }).getById(2_000_000_000),
    (e: unknown) => e instanceof CodecError && e.code === 'schema_not_found',
  );
});

test('JSON Schema and Protobuf register and serialize through the real registry', async () => {
  const serde = new SchemaSerde(new HttpSchemaRegistry({ url }));
  const topic = `codec-${randomUUID().slice(0, 8)}`;
  const json = await serde.writer(topic, 'value', 'jsonschema', {
    schema: JSON.stringify({ type: 'object', properties: { a: { type: 'integer' } } }),
  });
  assert.deepEqual(
    await new SchemaSerde(new HttpSchemaRegistry({ url })).deserialize(
      json.serialize({ a: 1 }),
      'jsonschema',
    ),
    { a: 1 },
  );
  const proto = await serde.writer(topic, 'key', 'protobuf', {
    schema: 'syntax = "proto3";\nmessage K { string id = 1; }\n',
  });
  assert.deepEqual(
    await new SchemaSerde(new HttpSchemaRegistry({ url })).deserialize(
      proto.serialize({ id: 'k' }),
      'protobuf',
    ),
    { id: 'k' },
  );
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('registry down: a lookup fails within the timeout with the retriable code', async () => {
  const registry = new HttpSchemaRegistry({
    url: `http://127.0.0.1:${await closedPort()}`,
    timeoutMs: 1500,
    retries: 2,
  });
  const started = Date.now();
  await assert.rejects(
    registry.getById(1),
    (e: unknown) =>
      e instanceof CodecError && e.code === 'schema_registry_unavailable' && e.retriable,
  );
  assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
});

test('registry hanging: the timeout bounds the wait', async () => {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => void sockets.add(socket)); // accepts and never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const registry = new HttpSchemaRegistry({
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      timeoutMs: 700,
    });
    const started = Date.now();
    await assert.rejects(
      registry.getById(1),
      (e: unknown) => e instanceof CodecError && e.code === 'schema_registry_unavailable',
    );
    const took = Date.now() - started;
    assert.ok(took >= 600 && took < 1500, `took ${took} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    server.close();
  }
});
