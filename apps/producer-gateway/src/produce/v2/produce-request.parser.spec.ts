import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import { parseProduceRequest } from './produce-request.parser';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e.code;
    throw e;
  }
  return undefined;
}

test('accepts a well-formed body and keeps records as sent', () => {
  const body = {
    records: [
      { key: 'a2V5', value: 'dg==' },
      { value: null, partition: 1 },
    ],
    value_schema_id: 3,
  };
  const r = parseProduceRequest(body, 10);
  assert.equal(r.records.length, 2);
  assert.equal(r.records[1]?.partition, 1);
  assert.equal(r.valueSchemaId, 3);
  assert.equal(r.keySchema, undefined);
});

test('Confluent validation rules', () => {
  assert.equal(
    code(() => parseProduceRequest(undefined, 10)),
    'validation_failed',
  );
  assert.equal(
    code(() => parseProduceRequest(null, 10)),
    'validation_failed',
  );
  assert.equal(
    code(() => parseProduceRequest({}, 10)),
    'validation_failed',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [] }, 10)),
    'validation_failed',
  );
  assert.equal(
    code(() => parseProduceRequest([1], 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest('x', 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: 'x' }, 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [1] }, 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [{}], extra: 1 }, 10)),
    'unrecognized_field',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [{ headers: [] }] }, 10)),
    'unrecognized_field',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [{ partition: -1 }] }, 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [{ partition: 1.5 }] }, 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [{ partition: '1' }] }, 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [{}], key_schema_id: 'x' }, 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [{}], value_schema: 's', value_schema_id: 1 }, 10)),
    'invalid_request',
  );
  assert.equal(
    code(() => parseProduceRequest({ records: [{}, {}, {}] }, 2)),
    'validation_failed',
  );
});

test('unknown field message names the field like Confluent', () => {
  assert.throws(
    () => parseProduceRequest({ records: [{ value: 'x', timestamp: 1 }] }, 10),
    (e: unknown) => e instanceof GatewayError && e.message === 'Unrecognized field: timestamp',
  );
});

test('schema ids given as numeric strings are accepted, as Confluent maps them', () => {
  const r = parseProduceRequest(
    { records: [{ key: 1, value: 2 }], key_schema_id: '75', value_schema_id: '0' },
    10,
  );
  assert.equal(r.keySchemaId, 75);
  assert.equal(r.valueSchemaId, 0);
  for (const bad of ['', '-1', '7.5', ' 75', '1e3', '99999999999', 2_147_483_648, true]) {
    assert.equal(
      code(() => parseProduceRequest({ records: [{}], value_schema_id: bad }, 10)),
      'invalid_request',
      `value_schema_id ${JSON.stringify(bad)}`,
    );
  }
  assert.equal(
    code(() => parseProduceRequest({ records: [{}], key_schema: 's', key_schema_id: '1' }, 10)),
    'invalid_request',
  );
});

test('headers and timestamp: refused as unknown fields unless the request opts in', () => {
  const body = {
    records: [
      {
        value: 'dg==',
        headers: [
          { key: 'a', value: 'eA==' },
          { key: 'a', value: null },
        ],
        timestamp: 1700000000000,
      },
      { value: 'dg==', timestamp: '2023-11-14T22:13:20.001Z' },
    ],
  };
  // today's behaviour, unchanged: Confluent's 422 "Unrecognized field"
  assert.equal(
    code(() => parseProduceRequest(body, 10)),
    'unrecognized_field',
  );
  assert.equal(
    code(() => parseProduceRequest(body, 10, { headers: false, timestamp: false })),
    'unrecognized_field',
  );
  assert.equal(
    code(() => parseProduceRequest(body, 10, { headers: true, timestamp: false })),
    'unrecognized_field',
    'timestamp needs its own opt-in',
  );
  const parsed = parseProduceRequest(body, 10, { headers: true, timestamp: true });
  assert.deepEqual(parsed.extras, [
    { headers: { a: [Buffer.from('x'), Buffer.alloc(0)] }, timestamp: '1700000000000' },
    { headers: undefined, timestamp: '1700000000001' },
  ]);
  assert.equal(parseProduceRequest({ records: [{ value: null }] }, 10).extras, undefined);
  const both = { headers: true, timestamp: true };
  for (const bad of [
    { headers: {} },
    { headers: [{ key: 1 }] },
    { headers: [{ key: 'a', value: 5 }] },
    { headers: [{ key: 'a', value: '***' }] },
    { timestamp: -1 },
    { timestamp: 1.5 },
    { timestamp: 'yesterday' },
  ]) {
    assert.equal(
      code(() => parseProduceRequest({ records: [{ value: null, ...bad }] }, 10, both)),
      'invalid_request',
      JSON.stringify(bad),
    );
  }
  assert.equal(
    code(() =>
      parseProduceRequest({ records: [{ headers: [{ key: 'a', name: 'b' }] }] }, 10, both),
    ),
    'unrecognized_field',
  );
});
