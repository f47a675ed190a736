import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  negotiate,
  negotiateRecordsType,
  negotiateV2Json,
  parseMediaType,
  parseRequestContentType,
  produceFormat,
  V2_JSON,
  v2MediaType,
} from './media-type';
import { CodecError } from './errors';

test('parseMediaType lower-cases names and reads quoted parameters', () => {
  assert.deepEqual(parseMediaType('Application/VND.Kafka.Binary.V2+JSON; Charset="UTF-8"'), {
    type: 'application',
    subtype: 'vnd.kafka.binary.v2+json',
    params: { charset: 'UTF-8' },
  });
  assert.equal(parseMediaType('nonsense'), undefined);
  assert.equal(parseMediaType('/json'), undefined);
});

test('every v2 embedded type selects its format', () => {
  for (const f of ['binary', 'json', 'avro', 'jsonschema', 'protobuf'] as const) {
    assert.equal(produceFormat(v2MediaType(f)), f);
    assert.equal(produceFormat(`${v2MediaType(f)}; charset=utf-8`), f);
  }
});

test('lenient types (Karapace rules) mean binary on produce', () => {
  for (const t of [
    'application/json',
    'application/octet-stream',
    'application/vnd.kafka+json',
    'application/vnd.kafka.v2+json',
    undefined,
  ]) {
    assert.equal(produceFormat(t), 'binary', String(t));
  }
});

test('v1 content types are refused (415) with a message naming the v2 type', () => {
  const cases: [string, string][] = [
    ['application/vnd.kafka.v1+json', 'application/vnd.kafka.v2+json'],
    ['application/vnd.kafka.binary.v1+json', 'application/vnd.kafka.binary.v2+json'],
    ['application/vnd.kafka.avro.v1+json; charset=utf-8', 'application/vnd.kafka.avro.v2+json'],
    ['Application/VND.Kafka.JSON.v1+json', 'application/vnd.kafka.json.v2+json'],
  ];
  for (const [v1, v2] of cases) {
    assert.throws(
      () => produceFormat(v1),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === 'unsupported_media_type' &&
        e.message.includes('The v1 API is not supported') &&
        e.message.includes(`use ${v2}`),
      v1,
    );
  }
});

test('a v1 Accept that nothing else satisfies: 406 saying v1 is not supported', () => {
  for (const negotiateFn of [negotiateV2Json, negotiateRecordsType]) {
    assert.throws(
      () => negotiateFn('application/vnd.kafka.binary.v1+json'),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === 'not_acceptable' &&
        e.message.includes('The v1 API is not supported') &&
        e.message.includes('application/vnd.kafka.binary.v2+json'),
    );
  }
  assert.throws(
    () => negotiateV2Json('application/vnd.kafka.v1+json'),
    (e: unknown) =>
      e instanceof CodecError && e.message.includes('use application/vnd.kafka.v2+json'),
  );
  // v1 next to something acceptable: served in v2
  assert.equal(
    negotiateV2Json('application/vnd.kafka.v1+json, application/vnd.kafka.v2+json;q=0.5'),
    'application/vnd.kafka.v2+json',
  );
  assert.throws(
    () => negotiateV2Json('text/plain'),
    (e: unknown) => e instanceof CodecError && e.message === 'HTTP 406 Not Acceptable',
  );
});

test('unsupported content types raise unsupported_media_type', () => {
  for (const t of [
    'text/plain',
    'application/xml',
    'application/vnd.kafka.xml.v2+json',
    'application/vnd.kafka.binary.v3+json',
    'application/vnd.kafka.binary.v2+json; charset=iso-8859-1',
    'garbage',
  ]) {
    assert.throws(
      () => parseRequestContentType(t),
      (e: unknown) => e instanceof CodecError && e.code === 'unsupported_media_type',
      t,
    );
  }
});

test('negotiation follows q x qs and specificity', () => {
  const offers = [
    { mediaType: 'application/vnd.kafka.binary.v2+json', qs: 1 },
    { mediaType: V2_JSON, qs: 0.9 },
    { mediaType: 'application/vnd.kafka.json.v2+json', qs: 1 },
  ];
  assert.equal(negotiate(undefined, offers), 'application/vnd.kafka.binary.v2+json');
  assert.equal(negotiate('*/*', offers), 'application/vnd.kafka.binary.v2+json');
  assert.equal(negotiate(V2_JSON, offers), V2_JSON);
  assert.equal(
    negotiate('application/vnd.kafka.json.v2+json', offers),
    'application/vnd.kafka.json.v2+json',
  );
  assert.equal(negotiate('text/plain', offers), undefined);
  assert.equal(
    negotiate('application/*;q=0.5, application/vnd.kafka.v2+json;q=0', offers),
    'application/vnd.kafka.binary.v2+json',
  );
  // an explicit q=0 on the specific type vetoes it even though a wildcard would match
  assert.equal(
    negotiate('*/*, application/vnd.kafka.binary.v2+json;q=0', offers),
    'application/vnd.kafka.json.v2+json',
  );
});

test('negotiateV2Json prefers the Confluent type and rejects the unacceptable', () => {
  assert.equal(negotiateV2Json(undefined), V2_JSON);
  assert.equal(negotiateV2Json('*/*'), V2_JSON);
  assert.equal(negotiateV2Json('application/json'), 'application/json');
  assert.equal(
    negotiateV2Json('application/vnd.kafka.v2+json; q=0.9, application/json; q=0.5'),
    V2_JSON,
  );
  assert.throws(
    () => negotiateV2Json('text/html'),
    (e: unknown) => e instanceof CodecError && e.code === 'not_acceptable',
  );
});
