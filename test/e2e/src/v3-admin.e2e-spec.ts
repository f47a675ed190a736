import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, http, stack, uid } from './support';

interface V3List<T> {
  kind: string;
  metadata: { self: string; next: null };
  data: T[];
}
interface Topic {
  kind: string;
  metadata: { self: string; resource_name: string };
  topic_name: string;
  partitions_count: number;
  replication_factor: number;
  is_internal: boolean;
  partitions: { related: string };
}
interface Config {
  name: string;
  value: string | null;
  is_default: boolean;
  source: string;
  synonyms: { name: string; source: string }[];
}

const JSON_CT = { 'content-type': 'application/json' };

async function clusterId(): Promise<string> {
  const res = await http('GET', '/v3/clusters');
  return (res.body as V3List<{ cluster_id: string }>).data[0]!.cluster_id;
}

test('clusters: list has exactly one cluster, get by id, unknown id is 404', async () => {
  const list = await http('GET', '/v3/clusters');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.contentType, 'application/json');
  const body = list.body as V3List<{
    kind: string;
    cluster_id: string;
    metadata: { self: string };
  }>;
  assert.equal(body.kind, 'KafkaClusterList');
  assert.equal(body.metadata.next, null);
  assert.equal(body.data.length, 1);
  const c = body.data[0]!;
  assert.equal(c.kind, 'KafkaCluster');
  assert.equal(c.metadata.self, `${stack.gatewayUrl}/v3/clusters/${c.cluster_id}`);

  const one = await http('GET', `/v3/clusters/${c.cluster_id}`);
  assert.equal(one.status, 200, one.text);
  const cluster = one.body as Record<string, { related: string } | string>;
  assert.equal(cluster['cluster_id'], c.cluster_id);
  assert.deepEqual(cluster['topics'], {
    related: `${stack.gatewayUrl}/v3/clusters/${c.cluster_id}/topics`,
  });
  assert.match((cluster['controller'] as { related: string }).related, /\/brokers\/\d+$/);

  for (const path of ['', '/brokers', '/topics', '/consumer-groups']) {
    const missing = await http('GET', `/v3/clusters/not-this-cluster${path}`);
    assert.equal(missing.status, 404, path);
    assert.equal(missing.contentType, 'application/json');
    assert.deepEqual(missing.body, {
      error_code: 404,
      message: 'Cluster not-this-cluster cannot be found.',
    });
  }
});

test('brokers: list and get', async () => {
  const c = await clusterId();
  const list = await http('GET', `/v3/clusters/${c}/brokers`);
  assert.equal(list.status, 200, list.text);
  const brokers = (
    list.body as V3List<{ kind: string; broker_id: number; port: number; host: string }>
  ).data;
  assert.ok(brokers.length >= 1);
  const b = brokers[0]!;
  assert.equal(b.kind, 'KafkaBroker');
  assert.equal(String(b.port), stack.brokers[0]!.split(':')[1]);
  const one = await http('GET', `/v3/clusters/${c}/brokers/${b.broker_id}`);
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, b);
  assert.equal((await http('GET', `/v3/clusters/${c}/brokers/999`)).status, 404);
  assert.equal((await http('GET', `/v3/clusters/${c}/brokers/x`)).status, 404);
});

test('topics: create → list → alter config → get → delete', async () => {
  const c = await clusterId();
  const name = uid('v3-topic');
  const created = await http('POST', `/v3/clusters/${c}/topics`, {
    headers: JSON_CT,
    body: {
      topic_name: name,
      partitions_count: 3,
      replication_factor: 1,
      configs: [{ name: 'cleanup.policy', value: 'compact' }],
    },
  });
  assert.equal(created.status, 201, created.text);
  const self = `${stack.gatewayUrl}/v3/clusters/${c}/topics/${name}`;
  assert.equal(created.headers.get('location'), self);
  const topic = created.body as Topic;
  assert.equal(topic.kind, 'KafkaTopic');
  assert.equal(topic.metadata.self, self);
  assert.equal(topic.metadata.resource_name, `crn:///kafka=${c}/topic=${name}`);
  assert.deepEqual(
    [topic.topic_name, topic.partitions_count, topic.replication_factor, topic.is_internal],
    [name, 3, 1, false],
  );
  assert.equal(topic.partitions.related, `${self}/partitions`);

  const list = await http('GET', `/v3/clusters/${c}/topics`);
  assert.equal(list.status, 200);
  const names = (list.body as V3List<Topic>).data.map((t) => t.topic_name);
  assert.ok(names.includes(name));
  assert.ok(!names.includes('__consumer_offsets'));
  assert.deepEqual(names, [...names].sort());

  const alter = await http('POST', `/v3/clusters/${c}/topics/${name}/configs:alter`, {
    headers: JSON_CT,
    body: {
      data: [
        { name: 'compression.type', value: 'gzip' },
        { name: 'retention.ms', value: '3600000' },
      ],
    },
  });
  assert.equal(alter.status, 204, alter.text);
  const put = await http('PUT', `/v3/clusters/${c}/topics/${name}/configs/max.message.bytes`, {
    headers: JSON_CT,
    body: { value: '200000' },
  });
  assert.equal(put.status, 204, put.text);

  const compression = await http(
    'GET',
    `/v3/clusters/${c}/topics/${name}/configs/compression.type`,
  );
  assert.equal(compression.status, 200, compression.text);
  const cfg = compression.body as Config & { kind: string };
  assert.equal(cfg.kind, 'KafkaTopicConfig');
  assert.deepEqual(
    [cfg.value, cfg.is_default, cfg.source],
    ['gzip', false, 'DYNAMIC_TOPIC_CONFIG'],
  );
  assert.equal(cfg.synonyms[0]?.source, 'DYNAMIC_TOPIC_CONFIG');

  const all = await http('GET', `/v3/clusters/${c}/topics/${name}/configs`);
  assert.equal(all.status, 200);
  const configs = new Map((all.body as V3List<Config>).data.map((x) => [x.name, x]));
  // the earlier dynamic configs survive later alterations
  assert.equal(configs.get('cleanup.policy')?.value, 'compact');
  assert.equal(configs.get('retention.ms')?.value, '3600000');
  assert.equal(configs.get('max.message.bytes')?.value, '200000');
  assert.notEqual(configs.get('segment.bytes')?.source, 'DYNAMIC_TOPIC_CONFIG');

  // DELETE resets one config; the others stay
  const reset = await http('POST', `/v3/clusters/${c}/topics/${name}/configs:alter`, {
    headers: JSON_CT,
    body: { data: [{ name: 'retention.ms', operation: 'DELETE' }] },
  });
  assert.equal(reset.status, 204, reset.text);
  const after = await http('GET', `/v3/clusters/${c}/topics/${name}/configs/retention.ms`);
  assert.equal((after.body as Config).is_default, true);
  const still = await http('GET', `/v3/clusters/${c}/topics/${name}/configs/compression.type`);
  assert.equal((still.body as Config).value, 'gzip');

  const got = await http('GET', `/v3/clusters/${c}/topics/${name}`);
  assert.equal(got.status, 200);
  assert.equal((got.body as Topic).partitions_count, 3);

  const del = await http('DELETE', `/v3/clusters/${c}/topics/${name}`);
  assert.equal(del.status, 204, del.text);
  const gone = await http('GET', `/v3/clusters/${c}/topics/${name}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.body, {
    error_code: 40403,
    message: 'This server does not host this topic-partition.',
  });
  assert.equal((await http('DELETE', `/v3/clusters/${c}/topics/${name}`)).status, 404);
});

test('topic creation errors: exists, invalid partitions or RF, bad bodies', async () => {
  const c = await clusterId();
  const existing = await createTopic(1);
  const post = (body: unknown, raw?: string) =>
    http('POST', `/v3/clusters/${c}/topics`, {
      headers: JSON_CT,
      ...(raw === undefined ? { body } : { raw }),
    });

  const exists = await post({ topic_name: existing });
  assert.equal(exists.status, 400);
  assert.deepEqual(exists.body, {
    error_code: 40002,
    message: `Topic '${existing}' already exists.`,
  });

  for (const bad of [
    { partitions_count: 0 },
    { partitions_count: -5 },
    { replication_factor: 0 },
    { replication_factor: 50 },
  ]) {
    const res = await post({ topic_name: uid('v3-bad'), ...bad });
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.equal((res.body as { error_code: number }).error_code, 40002, JSON.stringify(bad));
  }

  const empty = await post(undefined, '');
  assert.equal(empty.status, 422);
  assert.deepEqual(empty.body, {
    error_code: 42206,
    message: 'Payload error. Request body is empty. Data is required.',
  });
  const badName = await post({ topic_name: 'no spaces allowed' });
  assert.deepEqual(
    [badName.status, (badName.body as { error_code: number }).error_code],
    [422, 42206],
  );
  const wrongType = await post({ topic_name: uid('v3-bad'), partitions_count: 'three' });
  assert.deepEqual(
    [wrongType.status, (wrongType.body as { error_code: number }).error_code],
    [400, 400],
  );
  const unknown = await post({ topic_name: uid('v3-bad'), colour: 'blue' });
  assert.deepEqual(unknown.body, { error_code: 422, message: 'Unrecognized field: colour' });
  const malformed = await post(undefined, '{"topic_name":');
  assert.equal(malformed.status, 400);
});

test('validate_only creates nothing and answers 200', async () => {
  const c = await clusterId();
  const name = uid('v3-dry');
  const res = await http('POST', `/v3/clusters/${c}/topics`, {
    headers: JSON_CT,
    body: { topic_name: name, partitions_count: 2, validate_only: true },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal((res.body as Topic).partitions_count, 2);
  assert.equal((await http('GET', `/v3/clusters/${c}/topics/${name}`)).status, 404);
});

test('partitions and replicas: list and get; unknown ones are 404', async () => {
  const c = await clusterId();
  const topic = await createTopic(2);
  const list = await http('GET', `/v3/clusters/${c}/topics/${topic}/partitions`);
  assert.equal(list.status, 200, list.text);
  const parts = (
    list.body as V3List<{ kind: string; partition_id: number; leader: { related: string } }>
  ).data;
  assert.deepEqual(
    parts.map((p) => [p.kind, p.partition_id]),
    [
      ['KafkaPartition', 0],
      ['KafkaPartition', 1],
    ],
  );
  const one = await http('GET', `/v3/clusters/${c}/topics/${topic}/partitions/1`);
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, parts[1]);
  const leader = await fetch(parts[1]!.leader.related);
  assert.equal(leader.status, 200);
  const replica = (await leader.json()) as { is_leader: boolean; is_in_sync: boolean };
  assert.deepEqual([replica.is_leader, replica.is_in_sync], [true, true]);
  assert.equal((await http('GET', `/v3/clusters/${c}/topics/${topic}/partitions/2`)).status, 404);
  assert.equal((await http('GET', `/v3/clusters/${c}/topics/${topic}/partitions/x`)).status, 404);
  assert.equal(
    (await http('GET', `/v3/clusters/${c}/topics/${uid('none')}/partitions`)).status,
    404,
  );
});

test('config errors: unknown config 404, invalid value 40002, empty body 42206', async () => {
  const c = await clusterId();
  const topic = await createTopic(1);
  const base = `/v3/clusters/${c}/topics/${topic}/configs`;
  assert.equal((await http('GET', `${base}/no.such.config`)).status, 404);
  const put = await http('PUT', `${base}/no.such.config`, {
    headers: JSON_CT,
    body: { value: '1' },
  });
  assert.equal(put.status, 404);
  const invalid = await http('PUT', `${base}/cleanup.policy`, {
    headers: JSON_CT,
    body: { value: 'sometimes' },
  });
  assert.deepEqual(
    [invalid.status, (invalid.body as { error_code: number }).error_code],
    [400, 40002],
  );
  const empty = await http('POST', `${base}:alter`, { headers: JSON_CT, raw: '' });
  assert.deepEqual([empty.status, (empty.body as { error_code: number }).error_code], [422, 42206]);
  const dry = await http('POST', `${base}:alter`, {
    headers: JSON_CT,
    body: { data: [{ name: 'cleanup.policy', value: 'compact' }], validate_only: true },
  });
  assert.equal(dry.status, 204, dry.text);
  const unchanged = await http('GET', `${base}/cleanup.policy`);
  assert.equal((unchanged.body as Config).value, 'delete');
});
