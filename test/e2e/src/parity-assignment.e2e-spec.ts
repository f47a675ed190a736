import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, kafka, produceValues, RestConsumer, uid } from './support';

const values = (records: { value: unknown }[]): string[] =>
  records.map((r) => Buffer.from(String(r.value), 'base64').toString());

async function groupOffsets(group: string, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

async function groupIds(): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId);
  } finally {
    await admin.disconnect();
  }
}

async function assign(c: RestConsumer, topic: string, partition: number): Promise<void> {
  const res = await c.call('POST', '/assignments', { partitions: [{ topic, partition }] });
  assert.equal(res.status, 204, res.text);
}

test('two instances of one group hold their own manual assignments, seek and read independently, and commit to the group', async () => {
  const topic = await createTopic(2);
  const group = uid('g');
  await produceValues(topic, ['a0', 'a1', 'a2'], 0);
  await produceValues(topic, ['b0', 'b1', 'b2'], 1);
  const a = await RestConsumer.create(group, { 'auto.commit.enable': 'false' });
  const b = await RestConsumer.create(group, { 'auto.commit.enable': 'false' });
  await assign(a, topic, 0);
  await assign(b, topic, 1);

  // seeks right after the assignment, on each instance's own partition
  let res = await a.call('POST', '/positions', { offsets: [{ topic, partition: 0, offset: 1 }] });
  assert.equal(res.status, 204, res.text);
  res = await b.call('POST', '/positions/beginning', { partitions: [{ topic, partition: 1 }] });
  assert.equal(res.status, 204, res.text);
  // a partition the instance does not hold is refused
  res = await a.call('POST', '/positions', { offsets: [{ topic, partition: 1, offset: 0 }] });
  assert.equal(res.status, 409, res.text);

  assert.deepEqual(values(await a.recordsUntil(2)), ['a1', 'a2']);
  assert.deepEqual(values(await b.recordsUntil(3)), ['b0', 'b1', 'b2']);
  assert.deepEqual(await a.records(500), []);

  await a.commit(); // what a returned: partition 0 up to offset 3
  await b.commit({ offsets: [{ topic, partition: 1, offset: 1 }] }); // Confluent: last read offset
  assert.deepEqual(await groupOffsets(group, topic), { 0: '3', 1: '2' });
  assert.deepEqual((await a.call('GET', '/assignments')).body, {
    partitions: [{ topic, partition: 0 }],
  });

  // a later instance of the group resumes from the group's commits
  await a.delete();
  await produceValues(topic, ['a3'], 0);
  const c = await RestConsumer.create(group, { 'auto.commit.enable': 'false' });
  await assign(c, topic, 0);
  assert.deepEqual(values(await c.recordsUntil(1)), ['a3']);
  assert.deepEqual(await c.records(500), []);

  await b.delete();
  await c.delete();
  const left = (await groupIds()).filter((g) => g.startsWith(`${group}.`));
  assert.deepEqual(left, [], 'the private groups of deleted instances are removed');
});
