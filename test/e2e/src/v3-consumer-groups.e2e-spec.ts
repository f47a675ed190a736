import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, http, kafka, uid } from './support';

interface V3List<T> {
  kind: string;
  data: T[];
}
interface Lag {
  kind: string;
  topic_name: string;
  partition_id: number;
  current_offset: number;
  log_end_offset: number;
  lag: number;
  consumer_id: string;
  client_id: string;
}

async function clusterId(): Promise<string> {
  const res = await http('GET', '/v3/clusters');
  return (res.body as V3List<{ cluster_id: string }>).data[0]!.cluster_id;
}

async function produce(topic: string, partition: number, count: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ partition, value: `v${i}` })),
    });
  } finally {
    await producer.disconnect();
  }
}

test('a kafkajs consumer group shows up with its member, assignments and correct lag', async () => {
  const c = await clusterId();
  const topic = await createTopic(2);
  const group = uid('v3-group');
  await produce(topic, 0, 10);
  await produce(topic, 1, 4);

  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    // consume nothing automatically: commit chosen offsets by hand, then stay in the group
    let joined!: () => void;
    const isJoined = new Promise<void>((r) => (joined = r));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await isJoined;
    await consumer.commitOffsets([
      { topic, partition: 0, offset: '3' },
      { topic, partition: 1, offset: '4' },
    ]);
    await produce(topic, 0, 5); // log end of partition 0: 15 → lag 12
    await produce(topic, 1, 2); // log end of partition 1: 6 → lag 2

    const list = await http('GET', `/v3/clusters/${c}/consumer-groups`);
    assert.equal(list.status, 200, list.text);
    const groups = (list.body as V3List<{ consumer_group_id: string }>).data;
    assert.ok(groups.some((g) => g.consumer_group_id === group));

    const got = await http('GET', `/v3/clusters/${c}/consumer-groups/${group}`);
    assert.equal(got.status, 200, got.text);
    const g = got.body as Record<string, unknown>;
    assert.equal(g['kind'], 'KafkaConsumerGroup');
    assert.equal(g['state'], 'STABLE');
    assert.equal(g['is_simple'], false);
    assert.equal(typeof g['partition_assignor'], 'string');

    const consumers = await http('GET', `/v3/clusters/${c}/consumer-groups/${group}/consumers`);
    assert.equal(consumers.status, 200, consumers.text);
    const members = (consumers.body as V3List<{ consumer_id: string; client_id: string }>).data;
    assert.equal(members.length, 1);
    const member = members[0]!;
    const one = await http(
      'GET',
      `/v3/clusters/${c}/consumer-groups/${group}/consumers/${member.consumer_id}`,
    );
    assert.equal(one.status, 200);
    const assignments = await http(
      'GET',
      `/v3/clusters/${c}/consumer-groups/${group}/consumers/${member.consumer_id}/assignments`,
    );
    assert.deepEqual(
      (assignments.body as V3List<{ partition_id: number }>).data.map((a) => a.partition_id),
      [0, 1],
    );

    // log-end offsets move with the produce above: poll until the broker reports them
    let lags: Lag[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await http('GET', `/v3/clusters/${c}/consumer-groups/${group}/lags`);
      assert.equal(res.status, 200, res.text);
      lags = (res.body as V3List<Lag>).data;
      if (lags[0]?.log_end_offset === 15 && lags[1]?.log_end_offset === 6) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(
      lags.map((l) => [
        l.kind,
        l.topic_name,
        l.partition_id,
        l.current_offset,
        l.log_end_offset,
        l.lag,
      ]),
      [
        ['KafkaConsumerLag', topic, 0, 3, 15, 12],
        ['KafkaConsumerLag', topic, 1, 4, 6, 2],
      ],
    );
    assert.ok(
      lags.every((l) => l.consumer_id === member.consumer_id && l.client_id === member.client_id),
    );

    const lag1 = await http(
      'GET',
      `/v3/clusters/${c}/consumer-groups/${group}/lags/${topic}/partitions/1`,
    );
    assert.equal(lag1.status, 200);
    assert.equal((lag1.body as Lag).lag, 2);

    const summary = await http('GET', `/v3/clusters/${c}/consumer-groups/${group}/lag-summary`);
    assert.equal(summary.status, 200, summary.text);
    const s = summary.body as Record<string, unknown>;
    assert.equal(s['kind'], 'KafkaConsumerGroupLagSummary');
    assert.deepEqual(
      [
        s['max_lag'],
        s['total_lag'],
        s['max_lag_topic_name'],
        s['max_lag_partition_id'],
        s['max_lag_consumer_id'],
      ],
      [12, 14, topic, 0, member.consumer_id],
    );
  } finally {
    await consumer.disconnect();
  }
});

test('unknown groups and groups without commits are 404', async () => {
  const c = await clusterId();
  const none = uid('v3-none');
  for (const path of ['', '/consumers', '/lags', '/lag-summary']) {
    const res = await http('GET', `/v3/clusters/${c}/consumer-groups/${none}${path}`);
    assert.equal(res.status, 404, path);
    assert.equal((res.body as { error_code: number }).error_code, 404);
  }
});
