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
