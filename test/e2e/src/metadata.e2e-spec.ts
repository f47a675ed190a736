import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, http, V2 } from './support';

test('GET /topics lists topics as a JSON array without internal topics', async () => {
  const topic = await createTopic(1);
  const res = await http('GET', '/topics', { headers: { accept: V2 } });
  assert.equal(res.status, 200);
  assert.ok(res.contentType?.startsWith(V2));
  assert.ok(Array.isArray(res.body));
  const topics = res.body as string[];
  assert.ok(topics.includes(topic));
  assert.ok(!topics.includes('__consumer_offsets'));
});

test('GET /topics/{topic} answers name, configs and partitions', async () => {
  const topic = await createTopic(3);
  const res = await http('GET', `/topics/${topic}`);
  assert.equal(res.status, 200, res.text);
  const body = res.body as {
    name: string;
    configs: Record<string, string>;
    partitions: {
      partition: number;
      leader: number;
      replicas: { broker: number; leader: boolean; in_sync: boolean }[];
    }[];
  };
  assert.equal(body.name, topic);
  assert.equal(body.configs['cleanup.policy'], 'delete');
  assert.deepEqual(
    body.partitions.map((p) => p.partition),
    [0, 1, 2],
  );
  for (const p of body.partitions) {
    assert.ok(p.leader >= 0);
    assert.deepEqual(p.replicas, [{ broker: p.leader, leader: true, in_sync: true }]);
  }
});

test('GET / answers {} like Confluent', async () => {
  const res = await http('GET', '/');
  assert.deepEqual([res.status, res.body], [200, {}]);
});

test('partitions: list, one, offsets, and their errors', async () => {
  const topic = await createTopic(2);
  const list = await http('GET', `/topics/${topic}/partitions`);
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(
    (list.body as { partition: number }[]).map((p) => p.partition),
    [0, 1],
  );
  const one = await http('GET', `/topics/${topic}/partitions/1`);
  assert.equal(one.status, 200, one.text);
  assert.equal((one.body as { partition: number }).partition, 1);
  const produced = await http('POST', `/topics/${topic}/partitions/1`, {
    headers: { 'content-type': 'application/vnd.kafka.binary.v2+json' },
    body: { records: [{ value: 'eA==' }, { value: 'eQ==' }, { value: 'eg==' }] },
  });
  assert.equal(produced.status, 200, produced.text);
  const offsets = await http('GET', `/topics/${topic}/partitions/1/offsets`);
  assert.deepEqual([offsets.status, offsets.body], [200, { beginning_offset: 0, end_offset: 3 }]);
  const missingPartition = await http('GET', `/topics/${topic}/partitions/7`);
  assert.deepEqual(
    [missingPartition.status, (missingPartition.body as { error_code: number }).error_code],
    [404, 40402],
  );
  const missingOffsets = await http('GET', `/topics/${topic}/partitions/7/offsets`);
  assert.deepEqual(
    [missingOffsets.status, (missingOffsets.body as { error_code: number }).error_code],
    [404, 40402],
  );
  const missingTopic = await http('GET', `/topics/${topic}-nope/partitions`);
  assert.deepEqual(
    [missingTopic.status, (missingTopic.body as { error_code: number }).error_code],
    [404, 40403],
  );
});

test('GET /brokers lists broker ids', async () => {
  const res = await http('GET', '/brokers');
  assert.equal(res.status, 200);
  const { brokers } = res.body as { brokers: number[] };
  assert.ok(brokers.length >= 1 && brokers.every((b) => Number.isInteger(b)));
});
