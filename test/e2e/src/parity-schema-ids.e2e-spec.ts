import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumeAll, createTopic, http } from './support';

const registryUrl = process.env['SCHEMA_REGISTRY_URL'];
if (registryUrl === undefined) throw new Error('SCHEMA_REGISTRY_URL is not set');

const AVRO = 'application/vnd.kafka.avro.v2+json';

const schemaFor = (name: string): string =>
  JSON.stringify({
    type: 'record',
    name,
    fields: [{ name: 'n', type: 'int' }],
  });

/** Registers a schema under a subject directly in the registry; answers its id. */
async function register(subject: string, schema: string): Promise<number> {
  const res = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: number }).id;
}

test('schema ids as numeric strings ("75") are accepted, as Confluent maps them', async () => {
  const topic = await createTopic();
  const id = await register(`${topic}-value`, schemaFor('ParityString'));
  const res = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': AVRO },
    body: { value_schema_id: String(id), records: [{ value: { n: 7 } }] },
  });
  assert.equal(res.status, 200, res.text);
  const body = res.body as { value_schema_id: number; offsets: { error_code: number | null }[] };
  assert.equal(body.value_schema_id, id);
  assert.equal(body.offsets[0]!.error_code, null);
  const [record] = await consumeAll(topic, 1);
  assert.equal(record!.value!.readInt32BE(1), id, 'the wire header names the id');

  const bad = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': AVRO },
    body: { value_schema_id: 'seventy-five', records: [{ value: { n: 7 } }] },
  });
  assert.equal(bad.status, 400, bad.text);
});

test('a schema id not registered under <topic>-value / <topic>-key: 422 42207, nothing written', async () => {
  const topic = await createTopic();
  const other = await createTopic();
  // registered only under another topic's subject
  const id = await register(`${other}-value`, schemaFor('ParityOther'));
  for (const body of [
    { value_schema_id: id, records: [{ value: { n: 1 } }] },
    { value_schema_id: String(id), records: [{ value: { n: 1 } }] },
    { key_schema_id: id, records: [{ key: { n: 1 } }] },
  ]) {
    const res = await http('POST', `/topics/${topic}`, {
      headers: { 'content-type': AVRO },
      body,
    });
    assert.equal(res.status, 422, res.text);
    const err = res.body as { error_code: number; message: string };
    assert.equal(err.error_code, 42207);
    assert.match(err.message, new RegExp(`not registered under subject ${topic}-(value|key)`));
  }
  // nothing of those requests reached Kafka: the first record on the topic is the one below
  await register(`${topic}-value`, schemaFor('ParityOther'));
  const ok = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': AVRO },
    body: { value_schema_id: id, records: [{ value: { n: 2 } }] },
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((ok.body as { offsets: { offset: number }[] }).offsets[0]!.offset, 0);
});
