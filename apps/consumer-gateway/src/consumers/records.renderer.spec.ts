import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonText } from '@kafka-gateway/codec';
import { renderRecords } from './records.renderer';

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
