import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '@kafka-gateway/codec';
import { GatewayError } from './error-catalogue';
import { toErrorResponse } from './error-response';

test('codec errors map through the catalogue', () => {
  const r = toErrorResponse(new CodecError('invalid_base64', 'value=x is not a base64 string.'));
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { error_code: 400, message: 'value=x is not a base64 string.' });
});

test('gateway errors carry their sub-code and Retry-After', () => {
  const r = toErrorResponse(new GatewayError('overloaded', 'busy', { retryAfterSeconds: 1 }));
  assert.equal(r.status, 429);
  assert.equal(r.retryAfterSeconds, 1);
  const nf = toErrorResponse(
    new GatewayError(
      'unknown_topic_or_partition',
      'This server does not host this topic-partition.',
    ),
  );
  assert.deepEqual([nf.status, nf.body.error_code], [404, 40403]);
  const exists = toErrorResponse(new GatewayError('consumer_instance_exists', 'x'));
  assert.deepEqual([exists.status, exists.body.error_code], [409, 40902]);
});

test('body-parser failures become Confluent 400 and 413', () => {
  const parse = Object.assign(new SyntaxError('Unexpected token } in JSON at position 3'), {
    type: 'entity.parse.failed',
    status: 400,
  });
  assert.deepEqual(toErrorResponse(parse).body.error_code, 400);
  const big = Object.assign(new Error('request entity too large'), {
    type: 'entity.too.large',
    status: 413,
  });
  assert.deepEqual(toErrorResponse(big), {
    status: 413,
    body: { error_code: 413, message: 'HTTP 413 Request Entity Too Large' },
  });
});

test('unknown errors become 500 with an incident id and no stack', () => {
  const err = new Error('secret internals at /src/x.ts:1');
  const r = toErrorResponse(err);
  assert.equal(r.status, 500);
  assert.equal(r.body.error_code, 500);
  assert.ok(r.incidentId);
  assert.ok(!r.body.message.includes('secret'));
  assert.ok(!r.body.message.includes('.ts'));
});
