import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import protobuf from 'protobufjs';
import { consumeAll, createTopic, http, RestConsumer, uid, V2 } from './support';

/**
 * Exact 64-bit integers end to end, as Confluent (Jackson) keeps them: produced through :8082 in
 * every format (v2 and v3), read back with plain kafkajs plus the format's own library, and read
 * through a consumer instance. Bodies are sent and answers checked as raw text: parsing them
 * with JSON.parse here would round the very digits under test.
 */
const registryUrl = process.env['SCHEMA_REGISTRY_URL'];
if (registryUrl === undefined) throw new Error('SCHEMA_REGISTRY_URL is not set');

const ABOVE_2_53 = '9007199254740993'; // 2^53 + 1: JSON.parse makes it ...992
const MIN_INT64 = '-9223372036854775808';
const MAX_INT64 = '9223372036854775807';
const MAX_UINT64 = '18446744073709551615';

const CT = (format: string): Record<string, string> => ({
  'content-type': `application/vnd.kafka.${format}.v2+json`,
  accept: V2,
});

/** Retries of a produce answered 408/40801 (the registry did not answer in time). */
const REGISTRY_RETRIES = 3;

interface ProduceAnswer {
  offsets: { partition: number; offset: number; error_code: number | null }[];
  value_schema_id: number | null;
}

/** v2 produce of a raw body; the answer has no long integers, so JSON.parse reads it fine. */
async function produceV2(topic: string, format: string, body: string): Promise<ProduceAnswer> {
  let res = await http('POST', `/topics/${topic}`, { headers: CT(format), raw: body });
  // 408/40801 (registry slow to answer on a loaded machine) is retriable: a client retries it
  for (let retry = 0; retry < REGISTRY_RETRIES && res.status === 408; retry++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    res = await http('POST', `/topics/${topic}`, { headers: CT(format), raw: body });
  }
  assert.equal(res.status, 200, res.text);
  const answer = res.body as ProduceAnswer;
  for (const o of answer.offsets) assert.equal(o.error_code, null, res.text);
  return answer;
}

async function clusterId(): Promise<string> {
  const res = await http('GET', '/v3/clusters');
  return (res.body as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
}

/** v3 streaming produce of raw record texts; every result line must be 200. */
async function produceV3(topic: string, records: string[]): Promise<void> {
  const res = await http('POST', `/v3/clusters/${await clusterId()}/topics/${topic}/records`, {
    headers: { 'content-type': 'application/json' },
    raw: records.join('\n'),
  });
  assert.equal(res.status, 200, res.text);
  const results = res.text
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { error_code: number });
  assert.equal(results.length, records.length, res.text);
  for (const r of results) assert.equal(r.error_code, 200, res.text);
}

/** The raw text of a consumer instance's records answers until `count` records came back. */
async function consumeText(topic: string, format: string, count: number): Promise<string> {
  const consumer = await RestConsumer.create(uid('numbers-g'), { format });
  try {
    await consumer.subscribe([topic]);
    const texts: string[] = [];
    let seen = 0;
    const end = Date.now() + 30_000;
    while (seen < count && Date.now() < end) {
      const res = await http('GET', `${consumer.path}/records?timeout=1000`, {
        headers: { accept: `application/vnd.kafka.${format}.v2+json` },
      });
      if (res.status === 408) continue; // the registry did not answer in time: retriable
      assert.equal(res.status, 200, res.text);
      seen += (res.body as unknown[]).length;
      texts.push(res.text);
    }
    assert.equal(seen, count, `records through the ${format} consumer`);
    return texts.join('\n');
  } finally {
    await consumer.delete();
  }
}

function payloadOf(bytes: Buffer | null): Buffer {
  assert.ok(bytes !== null);
  assert.equal(bytes[0], 0, 'magic byte');
  return bytes.subarray(5);
}

async function registrySchema(id: number): Promise<string> {
  const res = await fetch(`${registryUrl}/schemas/ids/${id}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { schema: string }).schema;
}

test('json: every digit kept in keys and values, nested anywhere, v2 and v3; floats untouched', async () => {
  const topic = await createTopic(1);
  const value =
    `{"id":${ABOVE_2_53},"min":${MIN_INT64},"max":${MAX_INT64},"u":${MAX_UINT64},` +
    `"nested":{"list":[1,{"x":${ABOVE_2_53}}]},"f":1.5,"e":2.5e-7,"s":"${ABOVE_2_53}"}`;
  const key = `{"k":${MIN_INT64}}`;
  await produceV2(topic, 'json', `{"records":[{"key":${key},"value":${value}}]}`);
  await produceV3(topic, [
    `{"key":{"type":"JSON","data":${key}},"value":{"type":"JSON","data":${value}}}`,
  ]);

  // plain kafkajs: the stored bytes are the JSON texts, every digit there
  const stored = await consumeAll(topic, 2);
  for (const r of stored) {
    assert.equal(r.key?.toString('utf8'), key);
    assert.equal(r.value?.toString('utf8'), value);
  }
  // a json consumer instance: the raw answer carries the digits
  const text = await consumeText(topic, 'json', 2);
  assert.equal(text.split(`"key":${key},"value":${value}`).length - 1, 2, text);
});

const AVRO_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Numbers',
  namespace: 'e2e',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'min', type: { type: 'long' } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'list', type: { type: 'array', items: 'long' } },
    { name: 'maybe', type: ['null', 'long'] },
    { name: 'f', type: 'double' },
  ],
});

/** avsc with a long that keeps 64 bits (the reader's own choice, independent of the gateway). */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (b: Buffer) => b.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(n);
    return b;
  },
  fromJSON: (n: number) => BigInt(n),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

test('avro long: beyond 2^53 accepted on produce (v2, v3), exact in Kafka and in consumed JSON', async () => {
  const topic = await createTopic(1);
  const data =
    `{"id":${ABOVE_2_53},"min":${MIN_INT64},"at":${MAX_INT64},"list":[1,${ABOVE_2_53}],` +
    `"maybe":{"long":${MIN_INT64}},"f":1.5}`;
  const answer = await produceV2(
    topic,
    'avro',
    `{"value_schema":${JSON.stringify(AVRO_SCHEMA)},"records":[{"value":${data}}]}`,
  );
  const id = answer.value_schema_id;
  assert.ok(typeof id === 'number');
  await produceV3(topic, [`{"value":{"schema_id":${id},"data":${data}}}`]);

  const type = avro.Type.forSchema(JSON.parse(await registrySchema(id)) as avro.Schema, {
    wrapUnions: true,
    typeHook: (s) =>
      s === 'long' || (typeof s === 'object' && (s as { type?: unknown }).type === 'long')
        ? bigLong
        : undefined,
  });
  for (const r of await consumeAll(topic, 2)) {
    const v = type.fromBuffer(payloadOf(r.value)) as Record<string, unknown>;
    assert.equal(v['id'], BigInt(ABOVE_2_53));
    assert.equal(v['min'], BigInt(MIN_INT64));
    assert.equal(v['at'], BigInt(MAX_INT64));
    assert.deepEqual(v['list'], [1n, BigInt(ABOVE_2_53)]);
    assert.deepEqual({ ...(v['maybe'] as object) }, { long: BigInt(MIN_INT64) });
  }
  const text = await consumeText(topic, 'avro', 2);
  assert.equal(text.split(`"value":${data}`).length - 1, 2, text);
});

test('jsonschema integer: big integers validate as integers and keep their digits (v2, v3)', async () => {
  const topic = await createTopic(1);
  const schema = JSON.stringify({
    type: 'object',
    properties: {
      id: { type: 'integer' },
      ids: { type: 'array', items: { type: 'integer' } },
      s: { type: 'string' },
      f: { type: 'number' },
    },
    required: ['id'],
    additionalProperties: false,
  });
  const data = `{"id":${ABOVE_2_53},"ids":[${MIN_INT64},${MAX_UINT64}],"s":"${ABOVE_2_53}","f":0.5}`;
  const answer = await produceV2(
    topic,
    'jsonschema',
    `{"value_schema":${JSON.stringify(schema)},"records":[{"value":${data}}]}`,
  );
  const id = answer.value_schema_id;
  assert.ok(typeof id === 'number');
  await produceV3(topic, [`{"value":{"schema_id":${id},"data":${data}}}`]);
  // still validated: a string where the schema wants an integer is refused
  const bad = await http('POST', `/topics/${topic}`, {
    headers: CT('jsonschema'),
    raw: `{"value_schema_id":${id},"records":[{"value":{"id":"${ABOVE_2_53}"}}]}`,
  });
  assert.equal(bad.status, 400, bad.text);

  for (const r of await consumeAll(topic, 2))
    assert.equal(payloadOf(r.value).toString('utf8'), data);
  const text = await consumeText(topic, 'jsonschema', 2);
  assert.equal(text.split(`"value":${data}`).length - 1, 2, text);
});

const PROTO = `syntax = "proto3";
package e2e;
message Numbers {
  int64 a = 1;
  uint64 b = 2;
  sint64 c = 3;
  repeated int64 list = 4;
  Inner inner = 5;
  message Inner { fixed64 f = 1; }
}
`;

test('protobuf int64/uint64: big numbers and numeric strings accepted (v2, v3); canonical strings out', async () => {
  const topic = await createTopic(1);
  const data =
    `{"a":${MIN_INT64},"b":${MAX_UINT64},"c":"${MAX_INT64}","list":[${ABOVE_2_53},"-1"],` +
    `"inner":{"f":"${MAX_UINT64}"}}`;
  const answer = await produceV2(
    topic,
    'protobuf',
    `{"value_schema":${JSON.stringify(PROTO)},"records":[{"value":${data}}]}`,
  );
  const id = answer.value_schema_id;
  assert.ok(typeof id === 'number');
  await produceV3(topic, [`{"value":{"schema_id":${id},"data":${data}}}`]);

  const Numbers = protobuf.parse(await registrySchema(id)).root.lookupType('e2e.Numbers');
  for (const r of await consumeAll(topic, 2)) {
    const payload = payloadOf(r.value);
    assert.equal(payload[0], 0, 'message index [0]');
    const v = Numbers.toObject(Numbers.decode(payload.subarray(1)), {
      longs: String,
    }) as Record<string, unknown>;
    assert.deepEqual(
      { a: v['a'], b: v['b'], c: v['c'], list: v['list'], inner: v['inner'] },
      {
        a: MIN_INT64,
        b: MAX_UINT64,
        c: MAX_INT64,
        list: [ABOVE_2_53, '-1'],
        inner: { f: MAX_UINT64 },
      },
    );
  }
  const canonical =
    `{"a":"${MIN_INT64}","b":"${MAX_UINT64}","c":"${MAX_INT64}","list":["${ABOVE_2_53}","-1"],` +
    `"inner":{"f":"${MAX_UINT64}"}}`;
  const text = await consumeText(topic, 'protobuf', 2);
  assert.equal(text.split(`"value":${canonical}`).length - 1, 2, text);
});
