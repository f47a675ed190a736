import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY, consumeAll, createTopic, http, kafka, RestConsumer, uid, V2 } from './support';

/**
 * Record headers and timestamps on v2, opt-in: `Kafka-Gateway-Record-Metadata` on a v2 produce
 * and on a records fetch, `record.metadata` at consumer creation. Without them everything is
 * exactly Confluent's v2.
 */
const OPT_IN = 'kafka-gateway-record-metadata';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const TS = 1_600_000_000_123;

test('v2 produce with the opt-in writes headers and the timestamp; a consumer created with record.metadata returns them', async () => {
  const topic = await createTopic(1);
  const produced = await http('POST', `/topics/${topic}/partitions/0`, {
    headers: { 'content-type': BINARY, accept: V2, [OPT_IN]: 'headers,timestamp' },
    body: {
      records: [
        {
          value: b64('v0'),
          headers: [
            { key: 'h1', value: b64('one') },
            { key: 'h1', value: b64('two') },
            { key: 'h2', value: null },
          ],
          timestamp: TS,
        },
      ],
    },
  });
  assert.equal(produced.status, 200, produced.text);
  // a record without headers, written by a plain client
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value: 'v1' }], acks: -1 });
  } finally {
    await producer.disconnect();
  }

  const raw = await consumeAll(topic, 2);
  assert.equal(raw[0]!.timestamp, String(TS), 'kafka holds the given CreateTime');
  assert.deepEqual(
    (raw[0]!.headers['h1'] as Buffer[]).map((b) => b.toString()),
    ['one', 'two'],
  );

  const consumer = await RestConsumer.create(uid('meta'), {
    'record.metadata': 'headers,timestamp',
  });
  try {
    await consumer.subscribe([topic]);
    const records = (await consumer.recordsUntil(2)) as unknown as Record<string, unknown>[];
    assert.equal(records.length, 2);
    assert.deepEqual(Object.keys(records[0]!), [
      'topic',
      'key',
      'value',
      'partition',
      'offset',
      'headers',
      'timestamp',
      'timestamp_type',
    ]);
    assert.deepEqual(records[0]!['headers'], [
      { key: 'h1', value: b64('one') },
      { key: 'h1', value: b64('two') },
      { key: 'h2', value: '' }, // a null sent through v2 produce is an empty value (as in v3)
    ]);
    assert.equal(records[0]!['timestamp'], TS);
    assert.equal(records[0]!['timestamp_type'], 'CreateTime');
    assert.deepEqual(records[1]!['headers'], [], 'a record without headers: an empty list');
  } finally {
    await consumer.delete();
  }
});

test('without the opt-in: produce refuses headers as today (422) and records have exactly the Confluent fields; the fetch header opts in per request', async () => {
  const topic = await createTopic(1);
  const refused = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': BINARY, accept: V2 },
    body: { records: [{ value: b64('x'), headers: [{ key: 'a', value: null }] }] },
  });
  assert.equal(refused.status, 422, refused.text);
  assert.deepEqual(refused.body, { error_code: 422, message: 'Unrecognized field: headers' });
  const bad = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': BINARY, accept: V2, [OPT_IN]: 'offsets' },
    body: { records: [{ value: b64('x') }] },
  });
  assert.equal(bad.status, 400, bad.text);

  const ok = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': BINARY, accept: V2 },
    body: { records: [{ value: b64('a') }, { value: b64('b') }] },
  });
  assert.equal(ok.status, 200, ok.text);
  const consumer = await RestConsumer.create(uid('plain'));
  try {
    await consumer.subscribe([topic]);
    let first: Record<string, unknown>[] = [];
    const end = Date.now() + 30_000;
    while (first.length === 0 && Date.now() < end) {
      const res = await http('GET', `${consumer.path}/records?timeout=1000&max_bytes=1`, {
        headers: { accept: BINARY },
      });
      assert.equal(res.status, 200, res.text);
      first = res.body as Record<string, unknown>[];
      if (first.length > 0) {
        assert.equal(
          res.text,
          `[{"topic":"${topic}","key":null,"value":"${b64('a')}","partition":0,"offset":0}]`,
          'byte for byte the Confluent shape',
        );
      }
    }
    assert.equal(first.length, 1);
    const withTs = await http('GET', `${consumer.path}/records?timeout=5000`, {
      headers: { accept: BINARY, [OPT_IN]: 'timestamp' },
    });
    assert.equal(withTs.status, 200, withTs.text);
    const [second] = withTs.body as Record<string, unknown>[];
    assert.deepEqual(Object.keys(second!), [
      'topic',
      'key',
      'value',
      'partition',
      'offset',
      'timestamp',
      'timestamp_type',
    ]);
    assert.equal(typeof second!['timestamp'], 'number');
  } finally {
    await consumer.delete();
  }
});
