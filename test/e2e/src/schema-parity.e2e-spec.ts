import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { consumeAll, createTopic, http, kafka, RestConsumer, uid, V2 } from './support';

/**
 * Confluent parity of schema texts: a Protobuf schema on one line (Confluent's quickstart form)
 * and JSON Schemas whose `$schema` the validator has no meta-schema for. Records are produced
 * through :8082, read back with plain kafkajs and decoded with the format's own library using
 * the schema the registry holds, and read again through a consumer instance of the format (whose
 * gateway fetches the schema by id, so the consuming side parses the same text).
 */
const registryUrl = process.env['SCHEMA_REGISTRY_URL'];
if (registryUrl === undefined) throw new Error('SCHEMA_REGISTRY_URL is not set');

const JSONSCHEMA = 'application/vnd.kafka.jsonschema.v2+json';
const PROTOBUF = 'application/vnd.kafka.protobuf.v2+json';

interface ProduceBody {
  offsets: { partition: number; offset: number; error_code: number | null }[];
  value_schema_id: number | null;
}

async function registrySchema(id: number): Promise<{ schema: string; schemaType?: string }> {
  const res = await fetch(`${registryUrl}/schemas/ids/${id}`);
  assert.equal(res.status, 200, `registry has no schema ${id}`);
  return (await res.json()) as { schema: string; schemaType?: string };
}

function wireHeader(bytes: Buffer): { id: number; rest: Buffer } {
  assert.equal(bytes[0], 0, 'magic byte');
  return { id: bytes.readInt32BE(1), rest: bytes.subarray(5) };
}

/** Confluent's message indexes, written here independently of the gateway's codec. */
function messageIndexes(indexes: number[]): Buffer {
  const zigzagVarint = (n: number): number[] => {
    const out: number[] = [];
    let v = (n << 1) ^ (n >> 31);
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    return out;
  };
  return Buffer.from([indexes.length, ...indexes].flatMap(zigzagVarint));
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
  assert.ok(typeof parsed.value_schema_id === 'number', res.text);
  return parsed;
}

async function readThroughConsumer(topic: string, format: string, count: number) {
  const consumer = await RestConsumer.create(uid('parity-g'), { format });
  try {
    await consumer.subscribe([topic]);
    const records = await consumer.recordsUntil(count);
    assert.equal(records.length, count);
    return records.sort((a, b) => a.offset - b.offset).map((r) => r.value);
  } finally {
    await consumer.delete();
  }
}

test('protobuf: a one-line proto3 schema produces, reads back by kafkajs + protobufjs and through a protobuf consumer', async () => {
  const topic = await createTopic(1);
  const schema = 'syntax="proto3"; message User { string name = 1; int64 id = 2; }';
  const values = [{ name: 'ann', id: '9007199254740993' }, { name: 'bób' }];
  const body = await produce(topic, PROTOBUF, {
    value_schema: schema,
    records: values.map((value) => ({ value })),
  });
  const registered = await registrySchema(body.value_schema_id!);
  assert.equal(registered.schemaType, 'PROTOBUF');
  assert.equal(registered.schema, schema, 'the registry keeps the one-line text');

  const User = protobuf.parse(registered.schema).root.lookupType('User');
  const consumed = await consumeAll(topic, 2);
  for (let i = 0; i < 2; i++) {
    const c = consumed.find((r) => r.offset === String(body.offsets[i]!.offset))!;
    const { id, rest } = wireHeader(c.value!);
    assert.equal(id, body.value_schema_id);
    assert.equal(rest[0], 0, 'message indexes [0] are one zero byte');
    const decoded = User.toObject(User.decode(rest.subarray(1)), { longs: String });
    assert.deepEqual(decoded, values[i]);
  }
  assert.deepEqual(await readThroughConsumer(topic, 'protobuf', 2), values);
});

// Message indexes as Confluent numbers them: messages only, in declaration order, nested ones
// relative to their parent ([0] A, [0, 0] A.B, [0, 1] A.C, [0, 1, 0] A.C.D, [1] F). Distinct
// field numbers: a record decoded with any other message would come back empty.
const NESTED =
  'syntax = "proto3"; package parity; message A { string a = 1; enum E { E0 = 0; } message B { string b = 2; }' +
  ' message C { string c = 3; message D { string d = 4; } } } enum Top { T0 = 0; } message F { string f = 5; }';

test('protobuf: records of nested and later messages of a one-line schema are read by their message indexes', async () => {
  const topic = await createTopic(1);
  const body = await produce(topic, PROTOBUF, {
    value_schema: NESTED,
    records: [{ value: { a: 'first' } }],
  });
  const schemaId = body.value_schema_id!;
  const root = protobuf.parse((await registrySchema(schemaId)).schema).root;
  // written by another producer: kafkajs with the registry's schema and its own index bytes
  const others: [string, number[], Record<string, string>][] = [
    ['parity.A.B', [0, 0], { b: 'bee' }],
    ['parity.A.C.D', [0, 1, 0], { d: 'dee' }],
    ['parity.F', [1], { f: 'eff' }],
  ];
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: others.map(([name, indexes, value]) => {
        const type = root.lookupType(name);
        const header = Buffer.alloc(5);
        header.writeInt32BE(schemaId, 1);
        const payload = Buffer.from(type.encode(type.fromObject(value)).finish());
        return { value: Buffer.concat([header, messageIndexes(indexes), payload]) };
      }),
    });
  } finally {
    await producer.disconnect();
  }

  const A = root.lookupType('parity.A');
  const [first] = await consumeAll(topic, 1);
  const { rest } = wireHeader(first!.value!);
  assert.equal(rest[0], 0, 'the gateway writes the first message, indexes [0]');
  assert.deepEqual(A.toObject(A.decode(rest.subarray(1))), { a: 'first' });

  assert.deepEqual(await readThroughConsumer(topic, 'protobuf', 4), [
    { a: 'first' },
    ...others.map(([, , value]) => value),
  ]);
});

for (const dialect of ['http://json-schema.org/draft-04/schema#', 'https://example.com/my-meta']) {
  test(`jsonschema: $schema ${dialect} validates as draft 7, reads back by kafkajs and through a jsonschema consumer`, async () => {
    const topic = await createTopic(1);
    const schema = {
      $schema: dialect,
      title: 'Reading',
      type: 'object',
      properties: {
        sensor: { type: 'string' },
        value: { type: 'number' },
        // tuple validation: items as an array is draft 7 (and draft-04) semantics
        pair: { type: 'array', items: [{ type: 'integer' }, { type: 'string' }] },
      },
      required: ['sensor'],
      additionalProperties: false,
    };
    const values = [{ sensor: 's-1', value: 21.5, pair: [1, 'a'] }, { sensor: 'ß-2' }];
    const body = await produce(topic, JSONSCHEMA, {
      value_schema: JSON.stringify(schema),
      records: values.map((value) => ({ value })),
    });
    const registered = await registrySchema(body.value_schema_id!);
    assert.equal(registered.schemaType, 'JSON');
    assert.equal((JSON.parse(registered.schema) as { $schema: string }).$schema, dialect);

    const consumed = await consumeAll(topic, 2);
    for (let i = 0; i < 2; i++) {
      const c = consumed.find((r) => r.offset === String(body.offsets[i]!.offset))!;
      const { id, rest } = wireHeader(c.value!);
      assert.equal(id, body.value_schema_id);
      assert.deepEqual(JSON.parse(rest.toString('utf8')), values[i]);
    }
    assert.deepEqual(await readThroughConsumer(topic, 'jsonschema', 2), values);

    // the schema is enforced, with draft 7 semantics, not skipped
    for (const value of [{ value: 1 }, { sensor: 's', pair: [1, 2] }, { sensor: 's', extra: 1 }]) {
      const bad = await http('POST', `/topics/${topic}`, {
        headers: { 'content-type': JSONSCHEMA },
        body: { value_schema_id: body.value_schema_id, records: [{ value }] },
      });
      assert.equal(bad.status, 400, `${JSON.stringify(value)}: ${bad.text}`);
    }
  });
}
