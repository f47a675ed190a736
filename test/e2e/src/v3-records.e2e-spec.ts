import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { consumeAll, createTopic, http, stack } from './support';

interface Result {
  error_code: number;
  message?: string;
  cluster_id?: string;
  topic_name?: string;
  partition_id?: number;
  offset?: number;
  timestamp?: string;
  key?: Record<string, unknown>;
  value?: Record<string, unknown>;
}

const JSON_CT = { 'content-type': 'application/json' };

async function clusterId(): Promise<string> {
  const res = await http('GET', '/v3/clusters');
  return (res.body as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
}

function lines(text: string): Result[] {
  return text
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Result);
}

async function produce(topic: string, records: unknown[]): Promise<Result[]> {
  const res = await http('POST', `/v3/clusters/${await clusterId()}/topics/${topic}/records`, {
    headers: JSON_CT,
    raw: records.map((r) => JSON.stringify(r)).join('\n'),
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.contentType, 'application/json');
  return lines(res.text);
}

test('one record with key, value, headers and timestamp', async () => {
  const topic = await createTopic(3);
  const c = await clusterId();
  const [r] = await produce(topic, [
    {
      partition_id: 1,
      headers: [
        { name: 'h1', value: Buffer.from('Header-1').toString('base64') },
        { name: 'h2', value: null },
      ],
      key: { type: 'BINARY', data: Buffer.from('foobar').toString('base64') },
      value: { type: 'JSON', data: { foo: 'bar' } },
      timestamp: '2021-02-05T19:14:42Z',
    },
  ]);
  assert.deepEqual(r, {
    error_code: 200,
    cluster_id: c,
    topic_name: topic,
    partition_id: 1,
    offset: 0,
    timestamp: '2021-02-05T19:14:42.000Z',
    key: { type: 'BINARY', size: 6 },
    value: { type: 'JSON', size: 13 },
  });
  const [m] = await consumeAll(topic, 1);
  assert.equal(m!.partition, 1);
  assert.equal(m!.key?.toString(), 'foobar');
  assert.equal(m!.value?.toString(), '{"foo":"bar"}');
  assert.equal(m!.timestamp, String(Date.UTC(2021, 1, 5, 19, 14, 42)));
  assert.equal((m!.headers['h1'] as Buffer).toString(), 'Header-1');
  assert.equal((m!.headers['h2'] as Buffer).length, 0); // kafkajs: null is sent as empty
});

test('STRING values, keyed partitioning, per-record errors keep their place', async () => {
  const topic = await createTopic(2);
  const results = await produce(topic, [
    { key: { type: 'STRING', data: 'k' }, value: { type: 'STRING', data: 'My message' } },
    { value: { type: 'BINARY', data: 'not base64!' } },
    { partition_id: 5, value: { type: 'JSON', data: 1 } },
    { partition_id: -1 },
    { value: { type: 'STRING', data: 42 } },
    { value: { type: 'AVRO', data: 1 } },
    { colour: 'blue' },
    { key: { type: 'STRING', data: 'k' }, value: { type: 'JSON', data: null } },
  ]);
  assert.deepEqual(
    results.map((r) => r.error_code),
    [200, 400, 40402, 40402, 400, 400, 400, 200],
  );
  assert.equal(results[0]!.value?.['size'], 10);
  // the same key goes to the same partition, in order
  assert.equal(results[7]!.partition_id, results[0]!.partition_id);
  assert.equal(results[7]!.offset, results[0]!.offset! + 1);
  assert.match(results[1]!.message ?? '', /is not a base64 string/);
});

test('request-level errors: empty body 42206, wrong content type 415, unknown topic per record', async () => {
  const c = await clusterId();
  const topic = await createTopic(1);
  const empty = await http('POST', `/v3/clusters/${c}/topics/${topic}/records`, {
    headers: JSON_CT,
    raw: '',
  });
  assert.equal(empty.status, 422);
  assert.deepEqual(empty.body, {
    error_code: 42206,
    message: 'Payload error. Request body is empty. Data is required.',
  });
  const wrongType = await http('POST', `/v3/clusters/${c}/topics/${topic}/records`, {
    headers: { 'content-type': 'text/plain' },
    raw: '{}',
  });
  assert.deepEqual([wrongType.status, (wrongType.body as Result).error_code], [415, 415]);
  const badCharset = await http('POST', `/v3/clusters/${c}/topics/${topic}/records`, {
    headers: { 'content-type': 'application/json; charset=utf-16' },
    raw: '{}',
  });
  assert.equal(badCharset.status, 400);
  const [missing] = await produce('no-such-topic-' + randomUUID().slice(0, 8), [
    { value: { type: 'JSON', data: 1 } },
  ]);
  assert.equal(missing!.error_code, 40401);
});

test('malformed JSON ends the stream with a 400 line after the results before it', async () => {
  const c = await clusterId();
  const topic = await createTopic(1);
  const res = await http('POST', `/v3/clusters/${c}/topics/${topic}/records`, {
    headers: JSON_CT,
    raw: '{"value":{"type":"JSON","data":1}} {"value": oops} {"value":{"type":"JSON","data":2}}',
  });
  assert.equal(res.status, 200);
  const results = lines(res.text);
  assert.deepEqual(
    results.map((r) => r.error_code),
    [200, 400],
  );
  assert.match(results[1]!.message ?? '', /^Bad Request: Error processing message/);
});

test('a streamed request of 1,000 records: results stream back in order while sending, all in Kafka', async () => {
  const c = await clusterId();
  const topic = await createTopic(3);
  const total = 1000;
  const url = new URL(`${stack.gatewayUrl}/v3/clusters/${c}/topics/${topic}/records`);
  const results: Result[] = [];
  let firstResultAt = -1;
  let sent = 0;
  let gate: () => void = () => undefined;
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: JSON_CT }, (res) => {
      assert.equal(res.statusCode, 200);
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (firstResultAt < 0) gate();
        buffered += chunk;
        const parts = buffered.split('\r\n');
        buffered = parts.pop()!;
        for (const p of parts) {
          if (firstResultAt < 0) firstResultAt = sent;
          results.push(JSON.parse(p) as Result);
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    // chunked, in bursts, with a record split across writes now and then
    const writeBurst = (): void => {
      // after 100 records, wait for the first result line before sending more: this only
      // completes if results stream back while the request body is still open (full duplex)
      if (sent === 100 && firstResultAt < 0) {
        gate = () => setTimeout(writeBurst, 0);
        return;
      }
      if (sent >= total) {
        req.end();
        return;
      }
      let text = '';
      for (let i = 0; i < 50 && sent < total; i++, sent++) {
        text += JSON.stringify({
          key: { type: 'STRING', data: `k${sent % 7}` },
          value: { type: 'JSON', data: { n: sent } },
        });
      }
      const cut = Math.floor(text.length / 3);
      req.write(text.slice(0, cut));
      req.write(text.slice(cut));
      setTimeout(writeBurst, 5);
    };
    writeBurst();
  });
  assert.equal(results.length, total);
  assert.ok(
    results.every((r) => r.error_code === 200),
    JSON.stringify(results.find((r) => r.error_code !== 200)),
  );
  // full duplex: the first results arrived before the request body was complete
  assert.ok(firstResultAt < total, `first result after ${firstResultAt} records sent`);
  // in order: within each partition, offsets follow input order
  const lastOffset = new Map<number, number>();
  for (const r of results) {
    const prev = lastOffset.get(r.partition_id!) ?? -1;
    assert.ok(r.offset! > prev);
    lastOffset.set(r.partition_id!, r.offset!);
  }
  const consumed = await consumeAll(topic, total);
  assert.equal(consumed.length, total);
  const values = consumed.map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n);
  assert.deepEqual(
    [...values].sort((a, b) => a - b),
    Array.from({ length: total }, (_, i) => i),
  );
  // each record is where its result line said it is
  const byN = new Map(
    consumed.map((m) => [(JSON.parse(m.value!.toString()) as { n: number }).n, m]),
  );
  for (let n = 0; n < total; n += 97) {
    assert.equal(byN.get(n)!.partition, results[n]!.partition_id);
    assert.equal(Number(byN.get(n)!.offset), results[n]!.offset);
  }
  // v3 produce is counted like v2 (summed over the producer replicas)
  let counted = 0;
  for (const url of stack.producerMetricsUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('kafka_gateway_produce_records_total{') &&
          l.includes(`topic="${topic}"`) &&
          l.includes('format="v3"'),
      );
    counted += line === undefined ? 0 : Number(line.split(' ').pop());
  }
  assert.equal(counted, total, 'kafka_gateway_produce_records_total{format="v3"}');
});

const AVRO = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'e2e',
  fields: [{ name: 'id', type: 'long' }],
});

test('schema formats: raw schema registers, then by id, by version and latest', async () => {
  const topic = await createTopic(1);
  const [first] = await produce(topic, [
    { value: { type: 'AVRO', schema: AVRO, data: { id: 1 } } },
  ]);
  assert.equal(first!.error_code, 200, first!.message);
  const v = first!.value!;
  assert.equal(v['type'], 'AVRO');
  assert.equal(v['subject'], `${topic}-value`);
  assert.equal(v['schema_version'], 1);
  const schemaId = v['schema_id'] as number;
  const more = await produce(topic, [
    { value: { schema_id: schemaId, data: { id: 2 } } },
    { value: { schema_version: 1, data: { id: 3 } } },
    { value: { data: { id: 4 } } },
    { value: { data: { id: 'not a long' } } },
    {
      key: {
        type: 'JSONSCHEMA',
        schema: '{"type":"object","properties":{"k":{"type":"string"}}}',
        subject_name_strategy: 'TOPIC_NAME',
        data: { k: 'x' },
      },
    },
  ]);
  assert.deepEqual(
    more.map((r) => r.error_code),
    [200, 200, 200, 400, 200],
  );
  for (const r of more.slice(0, 3)) assert.equal(r.value?.['schema_id'], schemaId);
  assert.equal(more[4]!.key?.['subject'], `${topic}-key`);
  const consumed = await consumeAll(topic, 5);
  // Confluent wire format: magic byte 0 then the schema id
  for (const m of consumed.slice(0, 4)) {
    assert.equal(m.value![0], 0);
    assert.equal(m.value!.readInt32BE(1), schemaId);
  }
});
