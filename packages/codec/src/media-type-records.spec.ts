import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiateRecordsType } from './media-type';
import { CodecError } from './errors';

test('Confluent records-fetch negotiation', () => {
  assert.deepEqual(negotiateRecordsType(undefined), {
    format: 'binary',
    mediaType: 'application/vnd.kafka.binary.v2+json',
  });
  assert.deepEqual(negotiateRecordsType('*/*'), {
    format: 'binary',
    mediaType: 'application/vnd.kafka.binary.v2+json',
  });
  assert.deepEqual(negotiateRecordsType('application/vnd.kafka.v2+json'), {
    format: 'binary',
    mediaType: 'application/vnd.kafka.v2+json',
  });
  for (const f of ['binary', 'json', 'avro', 'jsonschema', 'protobuf']) {
    assert.deepEqual(negotiateRecordsType(`application/vnd.kafka.${f}.v2+json`), {
      format: f,
      mediaType: `application/vnd.kafka.${f}.v2+json`,
    });
  }
  assert.throws(
    () => negotiateRecordsType('text/html'),
    (e: unknown) => e instanceof CodecError && e.code === 'not_acceptable',
  );
});
