import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import protobuf from 'protobufjs';
import { consumeAll, createTopic, http, RestConsumer, uid, V2 } from './support';

/**
 * Schema formats end to end: produce through :8082 with a schema, read the bytes back with a
 * plain kafkajs consumer, fetch the writer schema from the registry by the id in the wire header
 * and decode with the format's own library (not the gateway's codec); then read the same records
 * through a consumer instance of the same format.
 */
const registryUrl = process.env['SCHEMA_REGISTRY_URL'];
if (registryUrl === undefined) throw new Error('SCHEMA_REGISTRY_URL is not set');

const AVRO = 'application/vnd.kafka.avro.v2+json';
const JSONSCHEMA = 'application/vnd.kafka.jsonschema.v2+json';
const PROTOBUF = 'application/vnd.kafka.protobuf.v2+json';

interface ProduceBody {
  offsets: { partition: number; offset: number; error_code: number | null }[];
  key_schema_id: number | null;
  value_schema_id: number | null;
}

async function registrySchema(id: number): Promise<{ schema: string; schemaType?: string }> {
  const res = await fetch(`${registryUrl}/schemas/ids/${id}`);
  assert.equal(res.status, 200, `registry has no schema ${id}`);
  return (await res.json()) as { schema: string; schemaType?: string };
}

function wireHeader(bytes: Buffer): { id: number; payload: Buffer } {
  assert.equal(bytes[0], 0, 'magic byte');
  return { id: bytes.readInt32BE(1), payload: bytes.subarray(5) };
}

async function produce(
  topic: string,
  contentType: string,
  body: Record<string, unknown>,
): Promise<ProduceBody> {
  const res = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': contentType, accept: V2 },
    body,
  });
  assert.equal(res.status, 200, res.text);
  const parsed = res.body as ProduceBody;
  for (const o of parsed.offsets) assert.equal(o.error_code, null);
  return parsed;
}

async function readBackThroughConsumer(
  topic: string,
  format: string,
  count: number,
): Promise<unknown[]> {
  const consumer = await RestConsumer.create(uid('schema-g'), { format });
  try {
    await consumer.subscribe([topic]);
    const records = await consumer.recordsUntil(count);
    assert.equal(records.length, count);
    return records.sort((a, b) => a.offset - b.offset).map((r) => ({ key: r.key, value: r.value }));
  } finally {
    await consumer.delete();
  }
}

const USER_AVRO = {
  type: 'record',
  name: 'User',
  namespace: 'e2e',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'nick', type: ['null', 'string'], default: null },
    { name: 'age', type: 'int' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'scores', type: { type: 'map', values: 'double' } },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['ADMIN', 'USER'] } },
  ],
};

test('avro: produce with a raw schema, read back by kafkajs + avsc and by an avro consumer', async () => {
  const topic = await createTopic(1);
  const values = [
    { name: 'ann', nick: null, age: 30, tags: [], scores: {}, kind: 'ADMIN' },
    {
      name: 'bób 🚀',
      nick: { string: 'b' },
      age: -1,
      tags: ['x', 'y'],
      scores: { a: 1.5 },
      kind: 'USER',
    },
  ];
  const body = await produce(topic, AVRO, {
    key_schema: JSON.stringify('string'),
    value_schema: JSON.stringify(USER_AVRO),
    records: [
      { key: 'k1', value: values[0] },
      { key: 'k2', value: values[1] },
      { key: 'k3', value: null },
    ],
  });
  assert.ok(typeof body.key_schema_id === 'number' && typeof body.value_schema_id === 'number');

  const consumed = await consumeAll(topic, 3);
  const valueType = avro.Type.forSchema(
    JSON.parse((await registrySchema(body.value_schema_id)).schema) as avro.Schema,
    { wrapUnions: true },
  );
  const keyType = avro.Type.forSchema(
    JSON.parse((await registrySchema(body.key_schema_id)).schema) as avro.Schema,
  );
  for (let i = 0; i < 3; i++) {
    const c = consumed.find((r) => r.offset === String(body.offsets[i]!.offset))!;
    const k = wireHeader(c.key!);
    assert.equal(k.id, body.key_schema_id);
    assert.equal(keyType.fromBuffer(k.payload), `k${i + 1}`);
    if (i === 2) {
      assert.equal(c.value, null, 'a null value is a tombstone, not an encoded null');
      continue;
    }
    const v = wireHeader(c.value!);
    assert.equal(v.id, body.value_schema_id);
    // Avro JSON encoding: unions as {"branch": value}, as avsc's wrapped unions serialize
    const decoded: unknown = valueType.fromBuffer(v.payload);
    assert.deepEqual(JSON.parse(JSON.stringify(decoded)), values[i]);
  }

  // The same schema again by id: same ids, no new registration.
  const again = await produce(topic, AVRO, {
    key_schema_id: body.key_schema_id,
    value_schema_id: body.value_schema_id,
    records: [{ key: 'k4', value: values[0] }],
  });
  assert.equal(again.value_schema_id, body.value_schema_id);

  const viaConsumer = await readBackThroughConsumer(topic, 'avro', 4);
  assert.deepEqual(viaConsumer, [
    { key: 'k1', value: values[0] },
    { key: 'k2', value: values[1] },
    { key: 'k3', value: null },
    { key: 'k4', value: values[0] },
  ]);
});

test('jsonschema: produce, read back as wire format + JSON text, and through a jsonschema consumer', async () => {
  const topic = await createTopic(1);
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      id: { type: 'integer' },
      name: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['id'],
    additionalProperties: false,
  };
  const values = [{ id: 1, name: 'ünï', tags: ['a'] }, { id: 2 }];
  const body = await produce(topic, JSONSCHEMA, {
    value_schema: JSON.stringify(schema),
    records: values.map((value) => ({ value })),
  });
  assert.equal(body.key_schema_id, null);
  assert.ok(typeof body.value_schema_id === 'number');
  const registered = await registrySchema(body.value_schema_id);
  assert.equal(registered.schemaType, 'JSON');
  const consumed = await consumeAll(topic, 2);
  for (let i = 0; i < 2; i++) {
    const c = consumed.find((r) => r.offset === String(body.offsets[i]!.offset))!;
    assert.equal(c.key, null);
    const v = wireHeader(c.value!);
    assert.equal(v.id, body.value_schema_id);
    assert.deepEqual(JSON.parse(v.payload.toString('utf8')), values[i]);
  }
  assert.deepEqual(
    await readBackThroughConsumer(topic, 'jsonschema', 2),
    values.map((value) => ({ key: null, value })),
  );

  // A value that breaks the schema is refused before anything reaches Kafka.
  const bad = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': JSONSCHEMA },
    body: { value_schema_id: body.value_schema_id, records: [{ value: { id: 'not an integer' } }] },
  });
  assert.equal(bad.status, 400, bad.text);
  assert.equal((bad.body as { error_code: number }).error_code, 400);
});

const PROTO = `syntax = "proto3";
package e2e;
message Order {
  string id = 1;
  int64 amount = 2;
  repeated Line lines = 3;
  Status status = 4;
  message Line { string sku = 1; int32 qty = 2; }
  enum Status { NEW = 0; PAID = 1; }
}
`;

test('protobuf: produce, read back by kafkajs + protobufjs and through a protobuf consumer', async () => {
  const topic = await createTopic(1);
  const values = [
    { id: 'o-1', amount: '1234567890123', lines: [{ sku: 'x', qty: 2 }], status: 'PAID' },
    { id: 'o-2', amount: '0', lines: [], status: 'NEW' },
  ];
  const body = await produce(topic, PROTOBUF, {
    value_schema: PROTO,
    records: values.map((value) => ({ value })),
  });
  assert.ok(typeof body.value_schema_id === 'number');
  const registered = await registrySchema(body.value_schema_id);
  assert.equal(registered.schemaType, 'PROTOBUF');
  const Order = protobuf.parse(registered.schema).root.lookupType('e2e.Order');
  const consumed = await consumeAll(topic, 2);
  for (let i = 0; i < 2; i++) {
    const c = consumed.find((r) => r.offset === String(body.offsets[i]!.offset))!;
    const v = wireHeader(c.value!);
    assert.equal(v.id, body.value_schema_id);
    assert.equal(v.payload[0], 0, 'message index [0] is one zero byte');
    const decoded = Order.toObject(Order.decode(v.payload.subarray(1)), {
      longs: String,
      enums: String,
      defaults: false,
    });
    assert.equal(decoded['id'], values[i]!.id);
    assert.equal(decoded['status'] ?? 'NEW', values[i]!.status);
    assert.equal(decoded['amount'] ?? '0', values[i]!.amount);
    assert.deepEqual(decoded['lines'] ?? [], values[i]!.lines);
  }
  const viaConsumer = (await readBackThroughConsumer(topic, 'protobuf', 2)) as {
    value: Record<string, unknown>;
  }[];
  assert.equal(viaConsumer[0]!.value['id'], 'o-1');
  assert.equal(viaConsumer[0]!.value['amount'], '1234567890123');
  assert.deepEqual(viaConsumer[0]!.value['lines'], [{ sku: 'x', qty: 2 }]);
  assert.equal(viaConsumer[1]!.value['id'], 'o-2');
});

test('schema errors: missing schema 42201/42202, invalid schema 42205, incompatible 42207, unknown id 42207, mismatch 400', async () => {
  const topic = await createTopic(1);
  const post = (body: unknown, ct = AVRO) =>
    http('POST', `/topics/${topic}`, { headers: { 'content-type': ct }, body });
  const code = (r: { body: unknown }) => (r.body as { error_code: number }).error_code;

  const noValueSchema = await post({ records: [{ value: { a: 1 } }] });
  assert.equal(noValueSchema.status, 422, noValueSchema.text);
  assert.equal(code(noValueSchema), 42202);
  const noKeySchema = await post({ value_schema: '"string"', records: [{ key: 'k', value: 'v' }] });
  assert.equal(code(noKeySchema), 42201);
  const invalid = await post({ value_schema: '{"type":"recordd"}', records: [{ value: {} }] });
  assert.equal(invalid.status, 422, invalid.text);
  assert.equal(code(invalid), 42205);

  const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] };
  const ok = await post({ value_schema: JSON.stringify(v1), records: [{ value: { a: 'x' } }] });
  assert.equal(ok.status, 200, ok.text);
  const incompatible = { type: 'record', name: 'R', fields: [{ name: 'b', type: 'int' }] };
  const refused = await post({
    value_schema: JSON.stringify(incompatible),
    records: [{ value: { b: 1 } }],
  });
  assert.equal(refused.status, 422, refused.text);
  assert.equal(code(refused), 42207);

  const unknownId = await post({
    value_schema_id: 1_999_999_999,
    records: [{ value: { a: 'x' } }],
  });
  assert.equal(unknownId.status, 422, unknownId.text);
  assert.equal(code(unknownId), 42207);

  const mismatch = await post({
    value_schema: JSON.stringify(v1),
    records: [{ value: { a: 42 } }],
  });
  assert.equal(mismatch.status, 400, mismatch.text);
  assert.equal(code(mismatch), 400);

  // nothing of the refused requests reached Kafka: only the one good record is there
  const consumer = await RestConsumer.create(uid('schema-err'), { format: 'avro' });
  try {
    await consumer.subscribe([topic]);
    const records = await consumer.recordsUntil(1, 10_000);
    assert.equal(records.length, 1);
    assert.equal((await consumer.records(500)).length, 0);
  } finally {
    await consumer.delete();
  }
});

test('an avro consumer meets a record that is not Avro: 40801 naming the offset, seek past it continues', async () => {
  const topic = await createTopic(1);
  const binary = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': 'application/vnd.kafka.binary.v2+json' },
    body: { records: [{ value: Buffer.from('not avro').toString('base64') }] },
  });
  assert.equal(binary.status, 200, binary.text);
  await produce(topic, AVRO, { value_schema: '"string"', records: [{ value: 'avro!' }] });

  const consumer = await RestConsumer.create(uid('poison'), { format: 'avro' });
  try {
    await consumer.subscribe([topic]);
    let res;
    const end = Date.now() + 20_000;
    do {
      res = await http('GET', `${consumer.path}/records?timeout=1000`, {
        headers: { accept: AVRO },
      });
    } while (res.status === 200 && (res.body as unknown[]).length === 0 && Date.now() < end);
    assert.equal(res.status, 408, res.text);
    assert.equal((res.body as { error_code: number }).error_code, 40801);
    assert.match((res.body as { message: string }).message, /offset 0/);
    const seek = await consumer.call('POST', '/positions', {
      offsets: [{ topic, partition: 0, offset: 1 }],
    });
    assert.equal(seek.status, 204, seek.text);
    const records = await consumer.recordsUntil(1, 10_000);
    assert.deepEqual(
      records.map((r) => r.value),
      ['avro!'],
    );
  } finally {
    await consumer.delete();
  }
});
