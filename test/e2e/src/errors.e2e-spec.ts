import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY, createTopic, http, V2 } from './support';

function assertError(
  res: { status: number; body: unknown; contentType: string | null; text: string },
  status: number,
  errorCode: number,
): void {
  assert.equal(res.status, status, res.text);
  const body = res.body as { error_code: unknown; message: unknown };
  assert.equal(body.error_code, errorCode, res.text);
  assert.equal(typeof body.message, 'string');
  assert.deepEqual(Object.keys(body).sort(), ['error_code', 'message']);
  assert.ok(!res.text.includes('    at '), 'no stack trace in the body');
}

test('unknown route → 404 on both gateways behind the entry point', async () => {
  assertError(await http('GET', '/no/such/route'), 404, 404);
  assertError(await http('GET', '/consumers/g/instances/i/nothing'), 404, 404);
});

test('wrong method → 405', async () => {
  assertError(await http('DELETE', '/topics'), 405, 405);
  assertError(await http('PUT', '/topics/x'), 405, 405);
});

test('unsupported Content-Type → 415', async () => {
  const topic = await createTopic();
  const res = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': 'text/plain' },
    raw: 'hello',
  });
  assertError(res, 415, 415);
  assert.equal((res.body as { message: string }).message, 'HTTP 415 Unsupported Media Type');
  assertError(
    await http('POST', `/topics/${topic}`, {
      headers: { 'content-type': 'application/vnd.kafka.xml.v2+json' },
      raw: '{}',
    }),
    415,
    415,
  );
});

test('malformed JSON → 400', async () => {
  const topic = await createTopic();
  assertError(
    await http('POST', `/topics/${topic}`, {
      headers: { 'content-type': BINARY },
      raw: '{"records": [{"value": "eA=="',
    }),
    400,
    400,
  );
});

test('unacceptable Accept → 406', async () => {
  assertError(await http('GET', '/topics', { headers: { accept: 'text/html' } }), 406, 406);
});

test('produce validation: unknown field, empty records, bad base64, unknown topic and partition', async () => {
  const topic = await createTopic(2);
  const h = { 'content-type': BINARY, accept: V2 };
  assertError(
    await http('POST', `/topics/${topic}`, {
      headers: h,
      body: { records: [{ value: 'eA==', headers: [] }] },
    }),
    422,
    422,
  );
  assertError(
    await http('POST', `/topics/${topic}`, { headers: h, body: { records: [] } }),
    422,
    422,
  );
  assertError(
    await http('POST', `/topics/${topic}`, {
      headers: h,
      body: { records: [{ value: 'not base64!' }] },
    }),
    400,
    400,
  );
  assertError(
    await http('POST', `/topics/${topic}-missing`, {
      headers: h,
      body: { records: [{ value: 'eA==' }] },
    }),
    404,
    40401,
  );
  assertError(
    await http('POST', `/topics/${topic}/partitions/5`, {
      headers: h,
      body: { records: [{ value: 'eA==' }] },
    }),
    404,
    40402,
  );
  assertError(
    await http('POST', `/topics/${topic}/partitions/abc`, {
      headers: h,
      body: { records: [{ value: 'eA==' }] },
    }),
    404,
    404,
  );
  assertError(await http('GET', `/topics/${topic}-missing`), 404, 40403);
});
