import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, http } from './support';

interface ErrorBody {
  error_code: number;
  message: string;
}

test('v1 Content-Type on produce: 415 naming the v2 type, nothing written', async () => {
  const topic = await createTopic();
  for (const [v1, v2] of [
    ['application/vnd.kafka.binary.v1+json', 'application/vnd.kafka.binary.v2+json'],
    ['application/vnd.kafka.avro.v1+json', 'application/vnd.kafka.avro.v2+json'],
    ['application/vnd.kafka.v1+json', 'application/vnd.kafka.v2+json'],
  ] as const) {
    const res = await http('POST', `/topics/${topic}`, {
      headers: { 'content-type': v1 },
      body: { records: [{ value: 'eA==' }] },
    });
    assert.equal(res.status, 415, res.text);
    const err = res.body as ErrorBody;
    assert.equal(err.error_code, 415);
    assert.match(err.message, /The v1 API is not supported/);
    assert.ok(err.message.includes(`use ${v2}`), err.message);
  }
  const offsets = await http('GET', `/topics/${topic}/partitions/0/offsets`);
  assert.equal((offsets.body as { end_offset: number }).end_offset, 0, offsets.text);
});

test('v1 Accept on a v2 resource: 406 saying v1 is not supported', async () => {
  for (const path of ['/topics', '/brokers']) {
    const res = await http('GET', path, { headers: { accept: 'application/vnd.kafka.v1+json' } });
    assert.equal(res.status, 406, res.text);
    const err = res.body as ErrorBody;
    assert.equal(err.error_code, 406);
    assert.match(err.message, /The v1 API is not supported.*use application\/vnd\.kafka\.v2\+json/);
  }
  // a v1 type next to an acceptable one is simply served in v2
  const ok = await http('GET', '/topics', {
    headers: { accept: 'application/vnd.kafka.v1+json, application/vnd.kafka.v2+json;q=0.5' },
  });
  assert.equal(ok.status, 200, ok.text);
});

test('v1 Content-Type on a consumer request: 415 naming the v2 type', async () => {
  const res = await http('POST', '/consumers/parity-v1-group', {
    headers: { 'content-type': 'application/vnd.kafka.v1+json' },
    body: { name: 'i1', format: 'binary' },
  });
  assert.equal(res.status, 415, res.text);
  assert.match((res.body as ErrorBody).message, /The v1 API is not supported/);
});

test('v1-only path (simple consumer): 404 that says v1 is not supported and names the v2 way', async () => {
  const topic = await createTopic();
  const res = await http('GET', `/topics/${topic}/partitions/0/messages?offset=0&count=1`);
  assert.equal(res.status, 404, res.text);
  const err = res.body as ErrorBody;
  assert.equal(err.error_code, 404);
  assert.match(err.message, /The v1 API is not supported/);
  assert.match(err.message, /POST \/consumers\/\{group\}/);
});

test('v1-only path (consumer read): 404 that says v1 is not supported and names the v2 way', async () => {
  const topic = await createTopic();
  const group = `parity-v1-read-${Date.now()}`;
  const created = await http('POST', `/consumers/${group}`, {
    headers: { 'content-type': 'application/vnd.kafka.v2+json' },
    body: { name: 'i1', format: 'binary' },
  });
  assert.equal(created.status, 200, created.text);
  try {
    // an existing instance and one that does not exist get the same answer
    for (const instance of ['i1', 'no-such-instance']) {
      const res = await http('GET', `/consumers/${group}/instances/${instance}/topics/${topic}`, {
        headers: { accept: 'application/vnd.kafka.binary.v1+json' },
      });
      assert.equal(res.status, 404, res.text);
      const err = res.body as ErrorBody;
      assert.equal(err.error_code, 404);
      assert.match(err.message, /The v1 API is not supported/);
      assert.match(
        err.message,
        /POST \/consumers\/\{group\}\/instances\/\{instance\}\/subscription/,
      );
      assert.match(err.message, /GET \/consumers\/\{group\}\/instances\/\{instance\}\/records/);
    }
  } finally {
    await http('DELETE', `/consumers/${group}/instances/i1`, {
      headers: { 'content-type': 'application/vnd.kafka.v2+json' },
    });
  }
});
