import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import { parseV3Record } from './v3-record.parser';

function failure(raw: unknown): string | undefined {
  try {
    parseV3Record(raw);
  } catch (e) {
    if (e instanceof GatewayError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return undefined;
}

test('reads the full envelope', () => {
  const r = parseV3Record({
    partition_id: 1,
    headers: [
      { name: 'h1', value: 'SGVhZGVyLTE=' },
      { name: 'h1', value: null },
    ],
    key: { type: 'BINARY', data: 'Zm9vYmFy' },
    value: { type: 'json', data: { foo: 'bar' } },
    timestamp: '2021-02-05T19:14:42Z',
  });
  assert.equal(r.partitionId, 1);
  assert.deepEqual(r.headers, [
    { name: 'h1', value: Buffer.from('Header-1') },
    { name: 'h1', value: null },
  ]);
  assert.equal(r.key?.type, 'BINARY');
  assert.equal(r.value?.type, 'JSON');
  assert.deepEqual(r.value?.data, { foo: 'bar' });
  assert.equal(r.timestamp, Date.UTC(2021, 1, 5, 19, 14, 42));
});

test('absent or null parts are absent', () => {
  const r = parseV3Record({ key: null, partition_id: null, timestamp: null });
  assert.deepEqual(r, {
    partitionId: undefined,
    headers: [],
    key: undefined,
    value: undefined,
    timestamp: undefined,
  });
});

test('schema specs: registry-resolved without type, raw schema with type', () => {
  const latest = parseV3Record({ value: { data: { a: 1 } } });
  assert.equal(latest.value?.type, undefined);
  const byId = parseV3Record({ value: { schema_id: 3, subject: 's', data: 1 } });
  assert.deepEqual([byId.value?.schemaId, byId.value?.subject], [3, 's']);
  const raw = parseV3Record({
    key: { type: 'AVRO', schema: '"string"', subject_name_strategy: 'topic_record_name' },
  });
  assert.equal(raw.key?.subjectNameStrategy, 'TOPIC_RECORD_NAME');
  // schema fields are ignored for the plain types, as Confluent does
  assert.equal(
    parseV3Record({ value: { type: 'BINARY', schema_id: 1, data: '' } }).value?.type,
    'BINARY',
  );
});

test("Confluent's exclusivity rules are per-record 400s", () => {
  const cases: unknown[] = [
    { value: { type: 'AVRO', data: 1 } }, // schema required with a schema type
    { value: { type: 'AVRO', schema: '"int"', schema_id: 1 } },
    { value: { type: 'PROTOBUF', schema: 'x', schema_version: 1 } },
    { value: { schema: '"int"' } }, // raw schema without type
    { value: { schema_id: 1, schema_version: 2 } },
    { value: { subject: 's', subject_name_strategy: 'TOPIC_NAME' } },
    { value: { type: 'XML' } },
    { value: { subject_name_strategy: 'OTHER' } },
    { value: { schema_id: -1 } },
    { value: { schema_version: 0 } },
    { value: 'x' },
  ];
  for (const c of cases)
    assert.match(failure(c) ?? 'accepted', /^invalid_request: Bad Request/, JSON.stringify(c));
});

test('envelope errors', () => {
  assert.match(failure([]) ?? '', /^invalid_request/);
  assert.match(failure({ extra: 1 }) ?? '', /Unrecognized field "extra"/);
  assert.match(failure({ partition_id: 1.5 }) ?? '', /partition_id must be an integer/);
  assert.equal(failure({ partition_id: -1 }), 'partition_not_found: Partition not found.');
  assert.match(failure({ headers: {} }) ?? '', /headers must be an array/);
  assert.match(failure({ headers: [{ name: 1 }] }) ?? '', /name must be a string/);
  assert.match(failure({ headers: [{ name: 'h', value: '!!' }] }) ?? '', /not a base64 string/);
  assert.match(failure({ headers: [{ name: 'h', other: 1 }] }) ?? '', /Unrecognized field/);
  assert.match(failure({ timestamp: 5 }) ?? '', /ISO-8601/);
  assert.match(failure({ timestamp: 'March 7' }) ?? '', /ISO-8601/);
  assert.match(failure({ timestamp: '2021-02-30T25:00:00Z' }) ?? '', /not a valid instant/);
});

test('timestamps with fractions and offsets', () => {
  assert.equal(
    parseV3Record({ timestamp: '2021-02-05T19:14:42.123+01:00' }).timestamp,
    Date.UTC(2021, 1, 5, 18, 14, 42, 123),
  );
});
