import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Base64Field, JsonBytes, JsonText } from '@kafka-gateway/codec';
import { renderRecords, renderRecordsBuffer } from './records.renderer';

test('records body: json texts embedded verbatim, BigInts with every digit, the v2 shape', () => {
  const body = renderRecords([
    {
      topic: 't"1',
      key: new JsonText('{"id": 9007199254740993}'),
      value: null,
      partition: 0,
      offset: 7,
    },
    {
      topic: 't',
      key: null,
      value: { n: -9223372036854775808n, list: [1, 18446744073709551615n], s: 'x' },
      partition: 2,
      offset: 8,
    },
  ]);
  assert.equal(
    body,
    '[{"topic":"t\\"1","key":{"id": 9007199254740993},"value":null,"partition":0,"offset":7},' +
      '{"topic":"t","key":null,"value":{"n":-9223372036854775808,"list":[1,18446744073709551615],"s":"x"},"partition":2,"offset":8}]',
  );
});

test('records body: the same text JSON.stringify gives for values without BigInts', () => {
  const records = [
    { topic: 'a', key: 'k', value: { x: [1, 2.5, 'é'], y: null }, partition: 1, offset: 0 },
    { topic: 'b', key: null, value: 'aGk=', partition: 0, offset: 12 },
  ];
  assert.equal(renderRecords(records), JSON.stringify(records));
  assert.equal(renderRecords([]), '[]');
});

test('records body as bytes: base64 and JSON bytes written in place, entries as JSON.stringify writes them', () => {
  const key = Buffer.from([0, 1, 2, 250]);
  const value = Buffer.from('{"id":9007199254740993,"s":"é"}');
  const header = Buffer.from('h');
  const body = renderRecordsBuffer([
    { topic: 't', key: new Base64Field(key), value: null, partition: 1, offset: 5 },
    {
      topic: 'u',
      key: null,
      value: new JsonBytes(value),
      partition: 0,
      offset: 6,
      headers: [
        { key: 'k', value: header },
        { key: 'n', value: null },
      ],
      timestamp: 1700000000000,
      timestampType: 'LogAppendTime',
    },
    {
      topic: 'u',
      partition: 0,
      offset: 7,
      error: { error_code: 40801, message: 'not "json"' },
      keyRaw: null,
      valueRaw: Buffer.from('{nope'),
      timestamp: 1,
      timestampType: 'CreateTime',
    },
  ]);
  assert.ok(Buffer.isBuffer(body));
  assert.equal(
    body.toString('utf8'),
    '[' +
      JSON.stringify({
        topic: 't',
        key: key.toString('base64'),
        value: null,
        partition: 1,
        offset: 5,
      }) +
      ',{"topic":"u","key":null,"value":{"id":9007199254740993,"s":"é"},"partition":0,"offset":6,' +
      '"headers":[{"key":"k","value":"aA=="},{"key":"n","value":null}],' +
      '"timestamp":1700000000000,"timestamp_type":"LogAppendTime"},' +
      JSON.stringify({
        topic: 'u',
        partition: 0,
        offset: 7,
        error: { error_code: 40801, message: 'not "json"' },
        key_raw: null,
        value_raw: Buffer.from('{nope').toString('base64'),
        timestamp: 1,
        timestamp_type: 'CreateTime',
      }) +
      ']',
  );
  assert.equal(renderRecordsBuffer([]).toString(), '[]');
});
