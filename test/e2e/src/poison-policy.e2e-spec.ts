import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  consumeAll,
  createTopic,
  getWithBody,
  http,
  kafka,
  RestConsumer,
  uid,
  V2,
} from './support';

/**
 * Poison-record policies end to end: good records go through the gateway with each format's
 * schema; between them a plain kafkajs producer writes what that format cannot decode (garbage
 * bytes, and for the schema formats a wire header naming a schema id the registry does not
 * have; invalid JSON for json). Consumer instances with `skip` and `dead-letter` then read the
 * topic through the gateway; the dead-letter topic is read back with plain kafkajs.
 */

interface Case {
  readonly format: 'avro' | 'jsonschema' | 'protobuf' | 'json';
  /** The produce body fields naming the value schema (none for json). */
  readonly schema: Record<string, unknown>;
  readonly good: readonly [unknown, unknown];
  readonly bad: readonly Buffer[];
}

/** A Confluent wire header naming a schema id no registry of this stack has. */
const UNKNOWN_SCHEMA_ID = Buffer.concat([
  Buffer.from([0, 0x7f, 0xff, 0xff, 0x00]),
  Buffer.from('x'),
]);
const GARBAGE = Buffer.from('garbage, not a wire-format record');

const CASES: readonly Case[] = [
  {
    format: 'avro',
    schema: { value_schema: '"string"' },
    good: ['before', 'after'],
    bad: [GARBAGE, UNKNOWN_SCHEMA_ID],
  },
  {
    format: 'jsonschema',
    schema: {
      value_schema: JSON.stringify({ type: 'object', properties: { s: { type: 'string' } } }),
    },
    good: [{ s: 'before' }, { s: 'after' }],
    bad: [GARBAGE, UNKNOWN_SCHEMA_ID],
  },
  {
    format: 'protobuf',
    schema: { value_schema: 'syntax = "proto3"; message Poison { string s = 1; }' },
    good: [{ s: 'before' }, { s: 'after' }],
    bad: [GARBAGE, UNKNOWN_SCHEMA_ID],
  },
  {
    format: 'json',
    schema: {},
    good: [{ n: 1 }, { n: 2 }],
    bad: [Buffer.from('{"not": json')],
  },
];

const mediaType = (format: string): string => `application/vnd.kafka.${format}.v2+json`;

async function produceGood(topic: string, c: Case, value: unknown): Promise<void> {
  const res = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': mediaType(c.format), accept: V2 },
    body: { ...c.schema, records: [{ value }] },
  });
  assert.equal(res.status, 200, res.text);
}

/** good, then every bad record (with a header of its own), then good: offsets 0..n+1. */
async function fill(c: Case): Promise<string> {
  const topic = await createTopic(1);
  await produceGood(topic, c, c.good[0]);
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const value of c.bad) {
      await producer.send({
        topic,
        messages: [{ value, headers: { 'origin-header': 'kept' } }],
        acks: -1,
      });
    }
  } finally {
    await producer.disconnect();
  }
  await produceGood(topic, c, c.good[1]);
  return topic;
}

interface Entry {
  offset: number;
  value?: unknown;
  error?: { error_code: number; message: string };
  key_raw?: string | null;
  value_raw?: string | null;
}

/** Fetches until `count` entries (records and skip entries) arrived. */
async function fetchEntries(
  consumer: RestConsumer,
  format: string,
  count: number,
): Promise<Entry[]> {
  const all: Entry[] = [];
  const end = Date.now() + 30_000;
  while (all.length < count && Date.now() < end) {
    const res = await http('GET', `${consumer.path}/records?timeout=1000`, {
      headers: { accept: mediaType(format) },
    });
    assert.equal(res.status, 200, res.text);
    all.push(...(res.body as Entry[]));
  }
  return all;
}

for (const c of CASES) {
  test(`${c.format}, poison.policy=skip: each undecodable record is an error entry with its raw bytes; good records around it are delivered and the commit covers all`, async () => {
    const topic = await fill(c);
    const group = uid('poison-skip');
    const consumer = await RestConsumer.create(group, {
      format: c.format,
      'poison.policy': 'skip',
    });
    try {
      await consumer.subscribe([topic]);
      const total = c.bad.length + 2;
      const entries = await fetchEntries(consumer, c.format, total);
      assert.deepEqual(
        entries.map((e) => e.offset),
        Array.from({ length: total }, (_, i) => i),
      );
      assert.deepEqual(entries[0]!.value, c.good[0]);
      assert.deepEqual(entries[total - 1]!.value, c.good[1]);
      c.bad.forEach((bytes, i) => {
        const e = entries[i + 1]!;
        assert.deepEqual(Object.keys(e), [
          'topic',
          'partition',
          'offset',
          'error',
          'key_raw',
          'value_raw',
        ]);
        assert.equal(e.error?.error_code, 40801);
        assert.match(
          e.error.message,
          new RegExp(`offset ${i + 1} cannot be decoded as ${c.format}`),
        );
        assert.equal(e.key_raw, null);
        assert.equal(e.value_raw, bytes.toString('base64'));
      });
      await consumer.commit();
      const committed = await getWithBody(`${consumer.path}/offsets`, {
        partitions: [{ topic, partition: 0 }],
      });
      assert.equal(committed.status, 200, committed.text);
      assert.deepEqual(
        (committed.body as { offsets: { offset: number }[] }).offsets.map((o) => o.offset),
        [total],
        'the commit includes the skipped records',
      );
    } finally {
      await consumer.delete();
    }
  });

  test(`${c.format}, poison.policy=dead-letter: undecodable records land in the DLQ with their bytes, headers and origin; only good records are returned`, async () => {
    const topic = await fill(c);
    const dlq = await createTopic(1);
    const consumer = await RestConsumer.create(uid('poison-dlq'), {
      format: c.format,
      'poison.policy': 'dead-letter',
      'poison.dead_letter_topic': dlq,
    });
    try {
      await consumer.subscribe([topic]);
      const entries = await fetchEntries(consumer, c.format, 2);
      assert.deepEqual(
        entries.map((e) => [e.offset, e.value]),
        [
          [0, c.good[0]],
          [c.bad.length + 1, c.good[1]],
        ],
      );
      const letters = await consumeAll(dlq, c.bad.length);
      assert.equal(letters.length, c.bad.length);
      letters.forEach((l, i) => {
        assert.deepEqual(l.value, c.bad[i]);
        assert.equal(l.key, null);
        const h = (name: string): string | undefined =>
          (l.headers[name] as Buffer | undefined)?.toString();
        assert.equal(h('origin-header'), 'kept');
        assert.equal(h('kafka-gateway.dlq.source-topic'), topic);
        assert.equal(h('kafka-gateway.dlq.source-partition'), '0');
        assert.equal(h('kafka-gateway.dlq.source-offset'), String(i + 1));
        assert.match(
          h('kafka-gateway.dlq.reason') ?? '',
          new RegExp(`cannot be decoded as ${c.format}`),
        );
      });
    } finally {
      await consumer.delete();
    }
  });
}

test('poison.policy: invalid values and a dead-letter policy without a usable topic are 422/42204', async () => {
  for (const body of [
    { 'poison.policy': 'ignore' },
    { 'poison.policy': 'dead-letter' },
    { 'poison.policy': 'dead-letter', 'poison.dead_letter_topic': uid('absent') },
    { 'poison.dead_letter_topic': 'not a topic' },
  ]) {
    const res = await http('POST', `/consumers/${uid('poison-bad')}`, {
      headers: { 'content-type': V2 },
      body,
    });
    assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal((res.body as { error_code: number }).error_code, 42204);
  }
});
