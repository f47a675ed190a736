import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY, consumeAll, createTopic, http, JSON_V2, V2 } from './support';

interface Offsets {
  offsets: {
    partition: number | null;
    offset: number | null;
    error_code: number | null;
    error: string | null;
  }[];
  key_schema_id: null;
  value_schema_id: null;
}

test('binary records produced through :8082 are read back byte for byte by a plain kafkajs consumer', async () => {
  const topic = await createTopic(3);
  const records = [
    { key: Buffer.from('key-1'), value: Buffer.from('confluent') },
    { key: null, value: Buffer.from([0, 1, 2, 254, 255]) },
    { key: Buffer.from('key-2'), value: null }, // tombstone
    { key: null, value: Buffer.from('pinned'), partition: 2 },
  ];
  const res = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': BINARY, accept: V2 },
    body: {
      records: records.map((r) => ({
        ...(r.key ? { key: r.key.toString('base64') } : {}),
        value: r.value ? r.value.toString('base64') : null,
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
      })),
    },
  });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.contentType?.startsWith(V2), String(res.contentType));
  const body = res.body as Offsets;
  assert.equal(body.key_schema_id, null);
  assert.equal(body.value_schema_id, null);
  assert.equal(body.offsets.length, records.length);
  for (const o of body.offsets) {
    assert.equal(o.error_code, null);
    assert.equal(o.error, null);
    assert.ok(o.partition !== null && o.partition >= 0 && o.partition < 3);
    assert.ok(o.offset !== null && o.offset >= 0);
  }
  assert.equal(body.offsets[3]?.partition, 2);

  const consumed = await consumeAll(topic, records.length);
  for (let i = 0; i < records.length; i++) {
    const o = body.offsets[i]!;
    const c = consumed.find((r) => r.partition === o.partition && r.offset === String(o.offset));
    assert.ok(c, `record ${i} not found at ${o.partition}/${o.offset}`);
    assert.deepEqual(c.key, records[i]!.key);
    assert.deepEqual(c.value, records[i]!.value);
  }
});

test('records of one key land in one partition with consecutive offsets', async () => {
  const topic = await createTopic(4);
  const key = Buffer.from('same-key').toString('base64');
  const res = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': BINARY },
    body: {
      records: Array.from({ length: 5 }, (_, i) => ({
        key,
        value: Buffer.from(`v${i}`).toString('base64'),
      })),
    },
  });
  assert.equal(res.status, 200, res.text);
  const { offsets } = res.body as Offsets;
  const partitions = new Set(offsets.map((o) => o.partition));
  assert.equal(partitions.size, 1);
  assert.deepEqual(
    offsets.map((o) => o.offset),
    [0, 1, 2, 3, 4],
  );
});

test('produce to a partition answers that partition', async () => {
  const topic = await createTopic(2);
  const res = await http('POST', `/topics/${topic}/partitions/1`, {
    headers: { 'content-type': BINARY },
    body: { records: [{ value: 'eA==' }, { value: 'eQ==' }] },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    (res.body as Offsets).offsets.map((o) => [o.partition, o.offset]),
    [
      [1, 0],
      [1, 1],
    ],
  );
  const consumed = await consumeAll(topic, 2);
  assert.deepEqual(consumed.map((c) => [c.partition, c.value?.toString()]).sort(), [
    [1, 'x'],
    [1, 'y'],
  ]);
});

test('json embedded format stores JSON text', async () => {
  const topic = await createTopic(1);
  const res = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': JSON_V2 },
    body: { records: [{ key: 'somekey', value: { foo: 'bär' } }, { value: [1, 2, 3] }] },
  });
  assert.equal(res.status, 200, res.text);
  const consumed = await consumeAll(topic, 2);
  consumed.sort((a, b) => Number(a.offset) - Number(b.offset));
  assert.equal(consumed[0]?.key?.toString(), '"somekey"');
  assert.deepEqual(JSON.parse(consumed[0]?.value?.toString() ?? ''), { foo: 'bär' });
  assert.equal(consumed[1]?.value?.toString(), '[1,2,3]');
});
