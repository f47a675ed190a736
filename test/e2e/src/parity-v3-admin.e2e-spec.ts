import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumeAll, createTopic, http, stack, uid } from './support';

interface V3List<T> {
  kind: string;
  metadata: { self: string; next: null };
  data: T[];
}
interface ErrorBody {
  error_code: number;
  message: string;
}
interface ConfigData {
  kind: string;
  name: string;
  value: string | null;
  source: string;
  broker_id?: number;
  config_type?: string;
}

const JSON_CT = { 'content-type': 'application/json' };

async function clusterId(): Promise<string> {
  const res = await http('GET', '/v3/clusters');
  return (res.body as V3List<{ cluster_id: string }>).data[0]!.cluster_id;
}

async function firstBroker(c: string): Promise<number> {
  const res = await http('GET', `/v3/clusters/${c}/brokers`);
  return (res.body as V3List<{ broker_id: number }>).data[0]!.broker_id;
}

/** Kafka applies dynamic broker configs asynchronously: polls until `check` holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`not within 15 s: ${what}`);
}

test('PATCH topic: raises partitions_count; equal or lower is 400 40002; no body 422 42206', async () => {
  const c = await clusterId();
  const topic = await createTopic(1);
  const path = `/v3/clusters/${c}/topics/${topic}`;
  const res = await http('PATCH', path, { headers: JSON_CT, body: { partitions_count: 3 } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.contentType, 'application/json');
  const t = res.body as { kind: string; partitions_count: number; topic_name: string };
  assert.equal(t.kind, 'KafkaTopic');
  assert.equal(t.topic_name, topic);
  assert.equal(t.partitions_count, 3);
  const parts = await http('GET', `${path}/partitions`);
  assert.equal((parts.body as V3List<unknown>).data.length, 3);

  const lower = await http('PATCH', path, { headers: JSON_CT, body: { partitions_count: 2 } });
  assert.equal(lower.status, 400, lower.text);
  assert.deepEqual(lower.body, {
    error_code: 40002,
    message: 'Topic currently has 3 partitions, which is higher than the requested 2.',
  });
  const same = await http('PATCH', path, { headers: JSON_CT, body: { partitions_count: 3 } });
  assert.deepEqual(same.body, { error_code: 40002, message: 'Topic already has 3 partitions.' });

  const empty = await http('PATCH', path, { headers: JSON_CT, raw: '' });
  assert.equal(empty.status, 422, empty.text);
  assert.equal((empty.body as ErrorBody).error_code, 42206);
  const unknown = await http('PATCH', `/v3/clusters/${c}/topics/${uid('nope')}`, {
    headers: JSON_CT,
    body: { partitions_count: 2 },
  });
  assert.equal(unknown.status, 404, unknown.text);
  assert.equal((unknown.body as ErrorBody).error_code, 40403);
});

test('reassignments: empty lists when none, a partition without one is 404', async () => {
  const c = await clusterId();
  const topic = await createTopic(2);
  const all = await http('GET', `/v3/clusters/${c}/topics/-/partitions/-/reassignment`);
  assert.equal(all.status, 200, all.text);
  const allBody = all.body as V3List<unknown>;
  assert.equal(allBody.kind, 'KafkaReassignmentList');
  assert.deepEqual(allBody.data, []);
  assert.equal(
    allBody.metadata.self,
    `${stack.gatewayUrl}/v3/clusters/${c}/topics/-/partitions/-/reassignment`,
  );
  const byTopic = await http('GET', `/v3/clusters/${c}/topics/${topic}/partitions/-/reassignment`);
  assert.equal(byTopic.status, 200, byTopic.text);
  assert.deepEqual((byTopic.body as V3List<unknown>).data, []);
  const one = await http('GET', `/v3/clusters/${c}/topics/${topic}/partitions/1/reassignment`);
  assert.equal(one.status, 404, one.text);
  const noTopic = await http(
    'GET',
    `/v3/clusters/${c}/topics/${uid('nope')}/partitions/-/reassignment`,
  );
  assert.equal(noTopic.status, 404, noTopic.text);
  // the link every topic carries resolves
  const t = await http('GET', `/v3/clusters/${c}/topics/${topic}`);
  const link = (t.body as { partition_reassignments: { related: string } }).partition_reassignments
    .related;
  assert.equal((await fetch(link)).status, 200);
});

test('records:batch: 207 with per-entry successes and failures; 42208 for a bad batch', async () => {
  const c = await clusterId();
  const topic = await createTopic(2);
  const path = `/v3/clusters/${c}/topics/${topic}/records:batch`;
  const res = await http('POST', path, {
    headers: JSON_CT,
    body: {
      entries: [
        { id: 'a-1', partition_id: 1, value: { type: 'STRING', data: 'first' } },
        { id: 'b_2', partition_id: 7, value: { type: 'STRING', data: 'nowhere' } },
        {
          id: 'c3',
          key: { type: 'BINARY', data: 'a2V5' },
          value: { type: 'JSON', data: { x: 1 } },
        },
      ],
    },
  });
  assert.equal(res.status, 207, res.text);
  assert.equal(res.contentType, 'application/json');
  const body = res.body as {
    successes: {
      id: string;
      cluster_id: string;
      topic_name: string;
      partition_id: number;
      offset: number;
      timestamp: string;
      value: { type: string; size: number };
    }[];
    failures: { id: string; error_code: number; message: string }[];
  };
  assert.deepEqual(
    body.successes.map((s) => s.id),
    ['a-1', 'c3'],
  );
  const first = body.successes[0]!;
  assert.equal(first.cluster_id, c);
  assert.equal(first.topic_name, topic);
  assert.equal(first.partition_id, 1);
  assert.equal(first.offset, 0);
  assert.deepEqual(first.value, { type: 'STRING', size: 5 });
  assert.ok(!('error_code' in first));
  assert.deepEqual(body.failures, [
    { id: 'b_2', error_code: 40402, message: 'Partition 7 not found.' },
  ]);
  const written = await consumeAll(topic, 2);
  assert.deepEqual(written.map((r) => r.value?.toString()).sort(), ['first', '{"x":1}'].sort());

  const entry = (id: unknown): unknown => ({ id, value: { type: 'STRING', data: 'x' } });
  for (const [what, bad] of [
    ['empty batch', { entries: [] }],
    ['no entries', { entries: null }],
    ['too many', { entries: Array.from({ length: 11 }, (_, i) => entry(`e${i}`)) }],
    ['repeated id', { entries: [entry('x'), entry('x')] }],
    ['numeric id', { entries: [entry(1)] }],
    ['id too long', { entries: [entry('x'.repeat(81))] }],
    ['bad id', { entries: [entry('a b')] }],
  ] as const) {
    const r = await http('POST', path, { headers: JSON_CT, body: bad });
    assert.equal(r.status, 422, `${what}: ${r.text}`);
    assert.equal((r.body as ErrorBody).error_code, 42208, what);
  }
  const empty = await http('POST', path, { headers: JSON_CT, raw: '' });
  assert.equal(empty.status, 422, empty.text);
  assert.equal((empty.body as ErrorBody).error_code, 42208);
});

test('broker configs: list, get, PUT, :alter, DELETE (read-modify-write), all brokers', async () => {
  const c = await clusterId();
  const b = await firstBroker(c);
  const base = `/v3/clusters/${c}/brokers/${b}/configs`;
  const list = await http('GET', base);
  assert.equal(list.status, 200, list.text);
  const listBody = list.body as V3List<ConfigData>;
  assert.equal(listBody.kind, 'KafkaBrokerConfigList');
  const names = listBody.data.map((d) => d.name);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('log.cleaner.threads'));
  assert.equal(listBody.data[0]!.broker_id, b);

  const value = async (name: string): Promise<ConfigData> =>
    (await http('GET', `${base}/${name}`)).body as ConfigData;
  const one = await http('GET', `${base}/log.cleaner.threads`);
  assert.equal(one.status, 200, one.text);
  assert.equal((one.body as ConfigData).kind, 'KafkaBrokerConfig');
  assert.equal((await http('GET', `${base}/no.such.config`)).status, 404);

  try {
    const put = await http('PUT', `${base}/log.cleaner.threads`, {
      headers: JSON_CT,
      body: { value: '2' },
    });
    assert.equal(put.status, 204, put.text);
    await eventually(
      async () => (await value('log.cleaner.threads')).value === '2',
      'log.cleaner.threads = 2',
    );
    assert.equal((await value('log.cleaner.threads')).source, 'DYNAMIC_BROKER_CONFIG');

    // :alter keeps the other dynamic config (read-modify-write of the full set)
    const alter = await http('POST', `${base}:alter`, {
      headers: JSON_CT,
      body: { data: [{ name: 'log.cleaner.backoff.ms', value: '16000' }] },
    });
    assert.equal(alter.status, 204, alter.text);
    await eventually(
      async () => (await value('log.cleaner.backoff.ms')).value === '16000',
      'log.cleaner.backoff.ms = 16000',
    );
    assert.equal((await value('log.cleaner.threads')).value, '2');

    const del = await http('DELETE', `${base}/log.cleaner.threads`);
    assert.equal(del.status, 204, del.text);
    await eventually(
      async () => (await value('log.cleaner.threads')).source !== 'DYNAMIC_BROKER_CONFIG',
      'log.cleaner.threads reset',
    );
    assert.equal((await value('log.cleaner.backoff.ms')).value, '16000');
  } finally {
    await http('POST', `${base}:alter`, {
      headers: JSON_CT,
      body: {
        data: [
          { name: 'log.cleaner.threads', operation: 'DELETE' },
          { name: 'log.cleaner.backoff.ms', operation: 'DELETE' },
        ],
      },
    });
  }

  const bad = await http('PUT', `${base}/log.cleaner.threads`, {
    headers: JSON_CT,
    body: { value: 'many' },
  });
  assert.equal(bad.status, 400, bad.text);
  assert.equal((bad.body as ErrorBody).error_code, 40002);
  assert.equal((await http('GET', `/v3/clusters/${c}/brokers/98765/configs`)).status, 404);

  const all = await http('GET', `/v3/clusters/${c}/brokers/-/configs`);
  assert.equal(all.status, 200, all.text);
  const allBody = all.body as V3List<ConfigData>;
  assert.equal(allBody.kind, 'KafkaBrokerConfigList');
  assert.ok(allBody.data.some((d) => d.broker_id === b && d.name === 'log.cleaner.threads'));
});

test('cluster configs (/broker-configs): list and get the dynamic defaults; changes are 501', async () => {
  const c = await clusterId();
  const list = await http('GET', `/v3/clusters/${c}/broker-configs`);
  assert.equal(list.status, 200, list.text);
  const body = list.body as V3List<ConfigData>;
  assert.equal(body.kind, 'KafkaClusterConfigList');
  assert.equal(body.metadata.self, `${stack.gatewayUrl}/v3/clusters/${c}/broker-configs`);
  for (const d of body.data) {
    assert.equal(d.kind, 'KafkaClusterConfig');
    assert.equal(d.config_type, 'BROKER');
    assert.equal(d.source, 'DYNAMIC_DEFAULT_BROKER_CONFIG');
    const one = await http('GET', `/v3/clusters/${c}/broker-configs/${d.name}`);
    assert.equal(one.status, 200, one.text);
  }
  assert.equal((await http('GET', `/v3/clusters/${c}/broker-configs/no.such.config`)).status, 404);
  for (const [method, path, reqBody] of [
    ['PUT', '/broker-configs/log.cleaner.threads', { value: '2' }],
    ['DELETE', '/broker-configs/log.cleaner.threads', undefined],
    ['POST', '/broker-configs:alter', { data: [{ name: 'log.cleaner.threads', value: '2' }] }],
  ] as const) {
    const r = await http(method, `/v3/clusters/${c}${path}`, { headers: JSON_CT, body: reqBody });
    assert.equal(r.status, 501, `${method} ${path}: ${r.text}`);
    assert.match((r.body as ErrorBody).message, /cluster-wide broker defaults/);
  }
});

test('ACLs: create, search with filters, delete (or 40002 when Kafka has no authorizer)', async (t) => {
  const c = await clusterId();
  const probe = await http('GET', `/v3/clusters/${c}/acls`);
  if (probe.status === 400) {
    // Confluent maps Kafka's SecurityDisabledException to 400 40002 as well
    assert.deepEqual(probe.body, { error_code: 40002, message: 'Security features are disabled' });
    t.skip('the broker has no authorizer (run the stack with --secure for the full test)');
    return;
  }
  assert.equal(probe.status, 200, probe.text);
  const topic = uid('acl-topic');
  const principal = `User:${uid('alice')}`;
  const acl = {
    resource_type: 'TOPIC',
    resource_name: topic,
    pattern_type: 'LITERAL',
    principal,
    host: '*',
    operation: 'READ',
    permission: 'ALLOW',
  };
  const created = await http('POST', `/v3/clusters/${c}/acls`, { headers: JSON_CT, body: acl });
  assert.equal(created.status, 201, created.text);
  assert.match(created.headers.get('location') ?? '', /\/acls\?resource_type=TOPIC/);
  const write = await http('POST', `/v3/clusters/${c}/acls`, {
    headers: JSON_CT,
    body: { ...acl, operation: 'write' },
  });
  assert.equal(write.status, 201, write.text);

  const q = `principal=${encodeURIComponent(principal)}`;
  await eventually(async () => {
    const r = await http('GET', `/v3/clusters/${c}/acls?${q}`);
    return (r.body as V3List<unknown>).data.length === 2;
  }, 'both ACLs listed');
  const search = await http('GET', `/v3/clusters/${c}/acls?${q}&operation=READ`);
  const found = search.body as V3List<Record<string, unknown>>;
  assert.equal(found.kind, 'KafkaAclList');
  assert.equal(found.data.length, 1);
  const { kind, metadata, ...fields } = found.data[0]!;
  assert.equal(kind, 'KafkaAcl');
  assert.match((metadata as { self: string }).self, /\/acls\?resource_type=TOPIC/);
  assert.deepEqual(fields, { cluster_id: c, ...acl });

  const badFilter = await http('GET', `/v3/clusters/${c}/acls?operation=UNKNOWN`);
  assert.equal(badFilter.status, 400, badFilter.text);
  const badCreate = await http('POST', `/v3/clusters/${c}/acls`, {
    headers: JSON_CT,
    body: { ...acl, pattern_type: 'MATCH' },
  });
  assert.equal(badCreate.status, 400, badCreate.text);

  const del = await http('DELETE', `/v3/clusters/${c}/acls?${q}&resource_type=TOPIC`);
  assert.equal(del.status, 200, del.text);
  const deleted = (del.body as { data: { operation: string }[] }).data;
  assert.deepEqual(deleted.map((d) => d.operation).sort(), ['READ', 'WRITE']);
  await eventually(async () => {
    const r = await http('GET', `/v3/clusters/${c}/acls?${q}`);
    return (r.body as V3List<unknown>).data.length === 0;
  }, 'ACLs gone');
});
