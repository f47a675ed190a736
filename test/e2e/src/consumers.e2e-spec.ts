import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, getWithBody, http, produceValues, RestConsumer, uid, V2 } from './support';

const values = (records: { value: unknown }[]): string[] =>
  records.map((r) => Buffer.from(String(r.value), 'base64').toString()).sort();

function assertError(
  res: { status: number; body: unknown; text: string },
  status: number,
  errorCode: number,
): void {
  assert.equal(res.status, status, res.text);
  assert.equal((res.body as { error_code: number }).error_code, errorCode, res.text);
}

test('create, subscribe, poll, commit, delete; a new instance in the group resumes after the commit', async () => {
  const topic = await createTopic(2);
  const group = uid('g');
  await produceValues(topic, ['a', 'b', 'c', 'd']);
  const first = await RestConsumer.create(group, { 'auto.commit.enable': 'false' });
  await first.subscribe([topic]);
  const got = await first.recordsUntil(4);
  assert.deepEqual(values(got), ['a', 'b', 'c', 'd']);
  for (const r of got) assert.equal(r.topic, topic);
  await first.commit();
  const committed = await getWithBody(`${first.path}/offsets`, {
    partitions: [
      { topic, partition: 0 },
      { topic, partition: 1 },
    ],
  });
  assert.equal(committed.status, 200, committed.text);
  const offsets = (committed.body as { offsets: { offset: number }[] }).offsets;
  assert.equal(
    offsets.reduce((s, o) => s + o.offset, 0),
    4,
    committed.text,
  );
  assert.equal((await first.delete()).status, 204);
  assertError(await first.call('GET', '/subscription'), 404, 40403);

  await produceValues(topic, ['e', 'f']);
  const second = await RestConsumer.create(group, { 'auto.commit.enable': 'false' });
  await second.subscribe([topic]);
  const resumed = await second.recordsUntil(2);
  assert.deepEqual(values(resumed), ['e', 'f']);
  const extra = await second.records(1500);
  assert.deepEqual(extra, [], 'nothing before the committed offsets comes back');
  await second.delete();
});

test('two instances of one group on a 4-partition topic split the partitions and see every record once', async () => {
  const topic = await createTopic(4);
  const group = uid('g');
  const a = await RestConsumer.create(group);
  const b = await RestConsumer.create(group);
  await a.subscribe([topic]);
  await b.subscribe([topic]);
  const sent = Array.from({ length: 40 }, (_, i) => `r${i}`);
  // wait until both hold an assignment (the second join rebalances the first)
  const deadline = Date.now() + 30_000;
  let assigned: { partitions: { partition: number }[] }[] = [];
  while (Date.now() < deadline) {
    await Promise.all([a.records(200), b.records(200)]);
    assigned = await Promise.all(
      [a, b].map(
        async (c) =>
          (await c.call('GET', '/assignments')).body as { partitions: { partition: number }[] },
      ),
    );
    if (
      assigned.every((x) => x.partitions.length > 0) &&
      assigned[0]!.partitions.length + assigned[1]!.partitions.length === 4
    )
      break;
  }
  const pa = assigned[0]!.partitions.map((p) => p.partition);
  const pb = assigned[1]!.partitions.map((p) => p.partition);
  assert.equal(pa.length + pb.length, 4);
  assert.deepEqual([...pa, ...pb].sort(), [0, 1, 2, 3], 'disjoint and complete');
  await produceValues(topic, sent);
  const seen: { value: unknown; partition: number }[] = [];
  const end = Date.now() + 30_000;
  while (seen.length < sent.length && Date.now() < end) {
    const [ra, rb] = await Promise.all([a.records(500), b.records(500)]);
    for (const r of ra) assert.ok(pa.includes(r.partition));
    for (const r of rb) assert.ok(pb.includes(r.partition));
    seen.push(...ra, ...rb);
  }
  assert.deepEqual(values(seen), [...sent].sort(), 'every record exactly once');
  await Promise.all([a.delete(), b.delete()]);
});

test('seek to beginning re-delivers; seek to an offset and by timestamp', async () => {
  const topic = await createTopic(1);
  const before = Date.now();
  await produceValues(topic, ['x0', 'x1', 'x2', 'x3']);
  const c = await RestConsumer.create(uid('g'));
  await c.subscribe([topic]);
  assert.equal((await c.recordsUntil(4)).length, 4);
  const tp = [{ topic, partition: 0 }];
  assert.equal((await c.call('POST', '/positions/beginning', { partitions: tp })).status, 204);
  assert.deepEqual(values(await c.recordsUntil(4)), ['x0', 'x1', 'x2', 'x3']);
  assert.equal(
    (await c.call('POST', '/positions', { offsets: [{ topic, partition: 0, offset: 2 }] })).status,
    204,
  );
  const fromTwo = await c.recordsUntil(2);
  assert.deepEqual(
    fromTwo.map((r) => r.offset),
    [2, 3],
  );
  assert.equal(
    (
      await c.call('POST', '/positions', {
        timestamps: [{ topic, partition: 0, timestamp: new Date(before - 60_000).toISOString() }],
      })
    ).status,
    204,
  );
  assert.equal((await c.recordsUntil(4))[0]?.offset, 0);
  assert.equal((await c.call('POST', '/positions/end', { partitions: tp })).status, 204);
  assert.deepEqual(await c.records(500), []);
  assertError(
    await c.call('POST', '/positions', { offsets: [{ topic, partition: 9, offset: 0 }] }),
    409,
    40903,
  );
  await c.delete();
});

test('manual assignment reads exactly the assigned partitions', async () => {
  const topic = await createTopic(2);
  await produceValues(topic, ['p0-a', 'p0-b'], 0);
  await produceValues(topic, ['p1-a'], 1);
  const c = await RestConsumer.create(uid('g'));
  const assign = await c.call('POST', '/assignments', { partitions: [{ topic, partition: 0 }] });
  assert.equal(assign.status, 204, assign.text);
  const got = await c.recordsUntil(2);
  assert.deepEqual(values(got), ['p0-a', 'p0-b']);
  assert.ok(got.every((r) => r.partition === 0));
  assert.deepEqual(await c.records(1000), []);
  assert.deepEqual((await c.call('GET', '/assignments')).body, {
    partitions: [{ topic, partition: 0 }],
  });
  assertError(await c.call('POST', '/subscription', { topics: [topic] }), 409, 40903);
  await c.delete();
});

test('json consumer: values decoded; a poison record is reported with its position and skipped by a seek', async () => {
  const topic = await createTopic(1);
  await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
    body: { records: [{ value: { n: 1 } }] },
  });
  await produceValues(topic, ['not json {']); // raw bytes that are not JSON
  await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
    body: { records: [{ key: 'k', value: [3] }] },
  });
  const c = await RestConsumer.create(uid('g'), { format: 'json' });
  await c.subscribe([topic]);
  const first = await c.recordsUntil(1);
  assert.deepEqual(
    first.map((r) => [r.offset, r.value]),
    [[0, { n: 1 }]],
  );
  const poison = await http('GET', `${c.path}/records?timeout=2000`, {
    headers: { accept: 'application/vnd.kafka.json.v2+json' },
  });
  assertError(poison, 408, 40801);
  assert.match((poison.body as { message: string }).message, /offset 1/);
  assert.equal(
    (await c.call('POST', '/positions', { offsets: [{ topic, partition: 0, offset: 2 }] })).status,
    204,
  );
  const after = await c.recordsUntil(1);
  assert.deepEqual(
    after.map((r) => [r.offset, r.key, r.value]),
    [[2, 'k', [3]]],
  );
  // the binary handler does not serve a json consumer
  assertError(await http('GET', `${c.path}/records`, { headers: { accept: V2 } }), 406, 40601);
  assertError(
    await http('GET', `${c.path}/records`, {
      headers: { accept: 'application/vnd.kafka.binary.v2+json' },
    }),
    406,
    40601,
  );
  await c.delete();
});

test('create validation: duplicates, unknown fields, bad format and settings', async () => {
  const group = uid('g');
  const name = uid('c');
  const h = { 'content-type': V2 };
  const created = await http('POST', `/consumers/${group}`, { headers: h, body: { name } });
  assert.equal(created.status, 200, created.text);
  assert.match(
    (created.body as { base_uri: string }).base_uri,
    new RegExp(`/consumers/${group}/instances/${name}$`),
  );
  assertError(
    await http('POST', `/consumers/${group}`, { headers: h, body: { name } }),
    409,
    40902,
  );
  assertError(
    await http('POST', `/consumers/${group}`, { headers: h, body: { 'sasl.jaas.config': 'x' } }),
    422,
    422,
  );
  assertError(
    await http('POST', `/consumers/${group}`, { headers: h, body: { format: 'xml' } }),
    422,
    422,
  );
  assertError(
    await http('POST', `/consumers/${group}`, { headers: h, body: { 'fetch.min.bytes': -5 } }),
    422,
    40001,
  );
  assertError(
    await http('POST', `/consumers/${group}`, {
      headers: h,
      body: { 'auto.offset.reset': 'sometimes' },
    }),
    422,
    42204,
  );
  assertError(
    await http('POST', `/consumers/${group}`, {
      headers: { 'content-type': 'text/plain' },
      raw: 'x',
    }),
    415,
    415,
  );
  assertError(await http('GET', `/consumers/${group}/instances/nobody/records`), 404, 40403);
  assert.equal((await http('DELETE', `/consumers/${group}/instances/${name}`)).status, 204);
});
