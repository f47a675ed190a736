import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { type Answer, send } from './auth-matrix.support';

/**
 * Two teams sharing the auth-required 2+2 gateway set (`infra/stack up --auth`) behind its
 * round-robin entry point, under the stack's policy (team-a: everything on `team-a.*` topics and
 * groups; team-b likewise with `team-b.*`; ops: everything plus the cluster). Each team works
 * with its own topics in every embedded format; neither can see, read, write, delete or alter
 * the other's topics and groups (403/40301, and nothing happens), nor touch the other's consumer
 * instances (404/40403, exactly as for a missing one, also through forwarding). Listings show
 * only what the caller may describe. Without auth.env the suite is skipped.
 */
const env = process.env;
const skip =
  env['AUTH_EDGE_URL'] === undefined
    ? 'needs infra/stack up --auth (source .run/stack/auth.env)'
    : false;
const need = (name: string): string => {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set (source auth.env)`);
  return v;
};

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';
/** How long a new consumer instance may take to join its group and read what was produced. */
const READ_DEADLINE_MS = 30_000;

type Headers = Record<string, string>;
const basic = (user: string, password: string): Headers => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

interface Team {
  readonly name: 'a' | 'b';
  readonly creds: () => Headers;
  /** Its own resources (created in `before`). */
  readonly topic: string;
  readonly jsonTopic: string;
  readonly group: string;
}

const run = randomUUID().slice(0, 8);
const teamOf = (t: 'a' | 'b', user: string, password: string): Team => ({
  name: t,
  creds: () => basic(need(user), need(password)),
  topic: `team-${t}.teams-${run}`,
  jsonTopic: `team-${t}.teams-json-${run}`,
  group: `team-${t}.teams-${run}`,
});
const A = teamOf('a', 'AUTH_TEAM_A_USER', 'AUTH_TEAM_A_PASSWORD');
const B = teamOf('b', 'AUTH_TEAM_B_USER', 'AUTH_TEAM_B_PASSWORD');
const ops = (): Headers => basic(need('AUTH_OPS_USER'), need('AUTH_OPS_PASSWORD'));
const edge = (path: string): string => need('AUTH_EDGE_URL') + path;
const consumerUrls = (): string[] => need('AUTH_CONSUMER_URLS').split(',');
let cluster = '';

async function expect(a: Promise<Answer>, status: number, what: string): Promise<Answer> {
  const r = await a;
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  return r;
}

async function forbidden(a: Promise<Answer>, what: string): Promise<void> {
  const r = await a;
  assert.deepEqual(
    [r.status, (r.body as { error_code?: number } | undefined)?.error_code],
    [403, 40301],
    `${what}: ${r.text.slice(0, 200)}`,
  );
}

async function notFound(a: Promise<Answer>, what: string): Promise<Answer> {
  const r = await a;
  assert.deepEqual(
    [r.status, r.body],
    [404, { error_code: 40403, message: 'Consumer instance not found.' }],
    `${what}: ${r.text.slice(0, 200)}`,
  );
  return r;
}

const produceV2 = (h: Headers, topic: string, type: string, records: unknown[]): Promise<Answer> =>
  send(edge(`/topics/${topic}`), 'POST', { ...h, 'content-type': type, accept: V2 }, { records });

/** The high watermark of partition 0, as ops sees it (what a refused produce must not move). */
async function endOffset(topic: string): Promise<number> {
  const r = await expect(
    send(edge(`/topics/${topic}/partitions/0/offsets`), 'GET', { ...ops(), accept: V2 }),
    200,
    `offsets of ${topic}`,
  );
  return (r.body as { end_offset: number }).end_offset;
}

interface Instance {
  readonly group: string;
  readonly name: string;
  readonly path: string;
}

async function createInstance(
  h: Headers,
  group: string,
  format: 'binary' | 'json',
  url = need('AUTH_EDGE_URL'),
): Promise<Instance> {
  const name = `i-${randomUUID().slice(0, 8)}`;
  await expect(
    send(
      `${url}/consumers/${group}`,
      'POST',
      { ...h, 'content-type': V2 },
      { name, format, 'auto.offset.reset': 'earliest' },
    ),
    200,
    `create ${group}/${name}`,
  );
  return { group, name, path: `/consumers/${group}/instances/${name}` };
}

/** Reads until `count` records arrived (or the deadline), through the entry point. */
async function readRecords(
  h: Headers,
  i: Instance,
  accept: string,
  count: number,
): Promise<{ topic: string; value: unknown }[]> {
  const got: { topic: string; value: unknown }[] = [];
  const deadline = Date.now() + READ_DEADLINE_MS;
  while (got.length < count && Date.now() < deadline) {
    const r = await expect(
      send(edge(`${i.path}/records?timeout=1000`), 'GET', { ...h, accept }),
      200,
      `records of ${i.name}`,
    );
    got.push(...(r.body as { topic: string; value: unknown }[]));
  }
  return got;
}

const instances: { h: () => Headers; i: Instance }[] = [];

before(async () => {
  if (skip !== false) return;
  const clusters = await expect(send(edge('/v3/clusters'), 'GET', A.creds()), 200, 'clusters');
  cluster = (clusters.body as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
  // each team may create topics in its own namespace (validate_only: nothing is created) ...
  for (const team of [A, B]) {
    await expect(
      send(
        edge(`/v3/clusters/${cluster}/topics`),
        'POST',
        { ...team.creds(), 'content-type': 'application/json' },
        { topic_name: team.topic, partitions_count: 1, validate_only: true },
      ),
      200,
      `team ${team.name} may create ${team.topic}`,
    );
  }
  // ... and the topics are made directly, as every e2e suite does
  const admin = new Kafka({
    clientId: 'auth-teams',
    brokers: need('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [A, B]
        .flatMap((t) => [t.topic, t.jsonTopic])
        .map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
});

after(async () => {
  if (skip !== false) return;
  for (const { h, i } of instances) {
    await send(edge(i.path), 'DELETE', { ...h(), 'content-type': V2 }).catch(() => undefined);
  }
  for (const team of [A, B]) {
    for (const topic of [team.topic, team.jsonTopic]) {
      await send(edge(`/v3/clusters/${cluster}/topics/${topic}`), 'DELETE', ops()).catch(
        () => undefined,
      );
    }
  }
});

test('each team produces and consumes its own topics, binary and json', { skip }, async () => {
  for (const team of [A, B]) {
    const h = team.creds();
    const payload = `from team ${team.name}`;
    await expect(
      produceV2(h, team.topic, BINARY, [{ value: Buffer.from(payload).toString('base64') }]),
      200,
      `team ${team.name} binary produce`,
    );
    await expect(
      produceV2(h, team.jsonTopic, JSON_V2, [{ value: { team: team.name, n: 1 } }]),
      200,
      `team ${team.name} json produce`,
    );
    await expect(
      send(
        edge(`/v3/clusters/${cluster}/topics/${team.jsonTopic}/records`),
        'POST',
        { ...h, 'content-type': 'application/json' },
        { value: { type: 'JSON', data: { team: team.name, n: 2 } } },
      ),
      200,
      `team ${team.name} v3 json produce`,
    );

    // one group per instance: members of one group share its partitions
    const bin = await createInstance(h, `${team.group}-bin`, 'binary');
    instances.push({ h: team.creds, i: bin });
    await expect(
      send(
        edge(`${bin.path}/subscription`),
        'POST',
        { ...h, 'content-type': V2 },
        {
          topics: [team.topic],
        },
      ),
      204,
      'subscribe binary',
    );
    const binRecords = await readRecords(h, bin, BINARY, 1);
    assert.deepEqual(
      binRecords.map((r) => Buffer.from(r.value as string, 'base64').toString()),
      [payload],
    );

    const json = await createInstance(h, `${team.group}-json`, 'json');
    instances.push({ h: team.creds, i: json });
    await expect(
      send(
        edge(`${json.path}/subscription`),
        'POST',
        { ...h, 'content-type': V2 },
        {
          topics: [team.jsonTopic],
        },
      ),
      204,
      'subscribe json',
    );
    const jsonRecords = await readRecords(h, json, JSON_V2, 2);
    assert.deepEqual(
      jsonRecords.map((r) => r.value),
      [
        { team: team.name, n: 1 },
        { team: team.name, n: 2 },
      ],
    );
    await expect(
      send(
        edge(`${json.path}/offsets`),
        'POST',
        { ...h, 'content-type': V2 },
        {
          offsets: [{ topic: team.jsonTopic, partition: 0, offset: 1 }],
        },
      ),
      200,
      'commit',
    );
  }
});

test(
  "neither team can list, describe, produce to, consume from, delete or alter the other's topics and groups",
  { skip },
  async () => {
    for (const [me, other] of [
      [A, B],
      [B, A],
    ] as const) {
      const h = me.creds();
      const end = await endOffset(other.topic);
      const v3 = `/v3/clusters/${cluster}`;
      await forbidden(
        produceV2(h, other.topic, BINARY, [{ value: 'eA==' }]),
        `${me.name}: v2 produce`,
      );
      await forbidden(
        send(
          edge(`/topics/${other.topic}/partitions/0`),
          'POST',
          { ...h, 'content-type': BINARY },
          {
            records: [{ value: 'eA==' }],
          },
        ),
        `${me.name}: v2 produce to a partition`,
      );
      await forbidden(
        send(
          edge(`${v3}/topics/${other.topic}/records`),
          'POST',
          { ...h, 'content-type': 'application/json' },
          {
            value: { type: 'JSON', data: 1 },
          },
        ),
        `${me.name}: v3 produce`,
      );
      await forbidden(
        send(
          edge(`${v3}/topics/${other.topic}/records:batch`),
          'POST',
          { ...h, 'content-type': 'application/json' },
          {
            entries: [{ id: '1', value: { type: 'JSON', data: 1 } }],
          },
        ),
        `${me.name}: v3 batch produce`,
      );
      assert.equal(await endOffset(other.topic), end, 'no record reached the other team’s topic');
      for (const path of [
        `/topics/${other.topic}`,
        `/topics/${other.topic}/partitions`,
        `/topics/${other.topic}/partitions/0/offsets`,
      ]) {
        await forbidden(send(edge(path), 'GET', { ...h, accept: V2 }), `${me.name}: GET ${path}`);
      }
      for (const path of [
        `${v3}/topics/${other.topic}`,
        `${v3}/topics/${other.topic}/configs`,
        `${v3}/topics/${other.topic}/partitions`,
        `${v3}/consumer-groups/${other.group}`,
        `${v3}/consumer-groups/${other.group}/lags`,
        `${v3}/brokers`,
        `${v3}/acls`,
      ]) {
        await forbidden(send(edge(path), 'GET', h), `${me.name}: GET ${path}`);
      }
      await forbidden(
        send(
          edge(`${v3}/topics/${other.topic}/configs:alter`),
          'POST',
          { ...h, 'content-type': 'application/json' },
          {
            data: [{ name: 'retention.ms', value: '1000' }],
          },
        ),
        `${me.name}: alter configs`,
      );
      await forbidden(
        send(
          edge(`${v3}/topics/${other.topic}/configs/retention.ms`),
          'PUT',
          { ...h, 'content-type': 'application/json' },
          {
            value: '1000',
          },
        ),
        `${me.name}: update a config`,
      );
      await forbidden(
        send(
          edge(`${v3}/topics`),
          'POST',
          { ...h, 'content-type': 'application/json' },
          {
            topic_name: `team-${other.name}.squat-${run}`,
            partitions_count: 1,
          },
        ),
        `${me.name}: create in the other's namespace`,
      );
      await forbidden(send(edge(`${v3}/topics/${other.topic}`), 'DELETE', h), `${me.name}: delete`);
      await forbidden(
        send(
          edge(`/consumers/${other.group}`),
          'POST',
          { ...h, 'content-type': V2 },
          { format: 'binary' },
        ),
        `${me.name}: an instance in the other's group`,
      );

      // an own instance cannot be pointed at the other's topics: nothing changes
      const mine = await createInstance(h, me.group, 'binary');
      instances.push({ h: me.creds, i: mine });
      const body = (b: unknown) => [{ ...h, 'content-type': V2 }, b] as const;
      await forbidden(
        send(
          edge(`${mine.path}/subscription`),
          'POST',
          ...body({ topics: [me.topic, other.topic] }),
        ),
        `${me.name}: subscribe to the other's topic`,
      );
      const sub = await expect(
        send(edge(`${mine.path}/subscription`), 'GET', { ...h, accept: V2 }),
        200,
        'subscription',
      );
      assert.deepEqual(sub.body, { topics: [] }, 'the refused subscription changed nothing');
      const tp = { partitions: [{ topic: other.topic, partition: 0 }] };
      await forbidden(send(edge(`${mine.path}/assignments`), 'POST', ...body(tp)), 'assign');
      await forbidden(send(edge(`${mine.path}/positions/beginning`), 'POST', ...body(tp)), 'seek');
      await forbidden(
        send(
          edge(`${mine.path}/positions`),
          'POST',
          ...body({ offsets: [{ topic: other.topic, partition: 0, offset: 0 }] }),
        ),
        'seek to an offset',
      );
      await forbidden(
        send(
          edge(`${mine.path}/offsets`),
          'POST',
          ...body({ offsets: [{ topic: other.topic, partition: 0, offset: 0 }] }),
        ),
        'commit',
      );
      const assigned = await expect(
        send(edge(`${mine.path}/assignments`), 'GET', { ...h, accept: V2 }),
        200,
        'assignments',
      );
      assert.deepEqual(assigned.body, { partitions: [] }, 'the refused assignment changed nothing');
    }
    // the other team's topics are all still there (ops sees them)
    for (const topic of [A.topic, B.topic]) {
      await expect(send(edge(`/v3/clusters/${cluster}/topics/${topic}`), 'GET', ops()), 200, topic);
    }
  },
);

test('listings show only what the caller may describe', { skip }, async () => {
  const names = async (h: Headers): Promise<{ v2: string[]; v3: string[]; groups: string[] }> => {
    const v2 = await expect(send(edge('/topics'), 'GET', { ...h, accept: V2 }), 200, 'topics');
    const v3 = await expect(send(edge(`/v3/clusters/${cluster}/topics`), 'GET', h), 200, 'v3');
    const groups = await expect(
      send(edge(`/v3/clusters/${cluster}/consumer-groups`), 'GET', h),
      200,
      'groups',
    );
    return {
      v2: v2.body as string[],
      v3: (v3.body as { data: { topic_name: string }[] }).data.map((t) => t.topic_name),
      groups: (groups.body as { data: { consumer_group_id: string }[] }).data.map(
        (g) => g.consumer_group_id,
      ),
    };
  };
  // a member that has read keeps each team's group known to the cluster
  for (const team of [A, B]) {
    const i = await createInstance(team.creds(), team.group, 'binary');
    instances.push({ h: team.creds, i });
    await expect(
      send(
        edge(`${i.path}/subscription`),
        'POST',
        { ...team.creds(), 'content-type': V2 },
        {
          topics: [team.topic],
        },
      ),
      204,
      'subscribe',
    );
    assert.ok((await readRecords(team.creds(), i, BINARY, 1)).length >= 1, 'joined and read');
  }
  const a = await names(A.creds());
  const b = await names(B.creds());
  const all = await names(ops());
  for (const [seen, me, other] of [
    [a, A, B],
    [b, B, A],
  ] as const) {
    for (const list of [seen.v2, seen.v3]) {
      assert.ok(
        list.includes(me.topic) && list.includes(me.jsonTopic),
        `own topics: ${list.join()}`,
      );
      assert.ok(
        list.every((t) => t.startsWith(`team-${me.name}.`)),
        `team ${me.name} sees only its own topics: ${list.join()}`,
      );
      assert.ok(!list.includes(other.topic));
    }
    assert.ok(seen.groups.includes(me.group), `own group: ${seen.groups.join()}`);
    assert.ok(
      seen.groups.every((g) => g.startsWith(`team-${me.name}.`)),
      seen.groups.join(),
    );
  }
  for (const t of [A.topic, B.topic]) assert.ok(all.v2.includes(t) && all.v3.includes(t));
  assert.ok(all.groups.includes(A.group) && all.groups.includes(B.group));
});

test(
  "the other team's consumer instance is 404/40403 on every endpoint, also through forwarding",
  { skip },
  async () => {
    const [first, second] = consumerUrls();
    assert.ok(first !== undefined && second !== undefined, 'two consumer replicas');
    // A's instance lives on the first replica; B asks the edge, the owner and the other replica
    const owned = await createInstance(A.creds(), A.group, 'binary', first);
    instances.push({ h: A.creds, i: owned });
    const ha = { ...A.creds(), 'content-type': V2 };
    await expect(
      send(`${first}${owned.path}/subscription`, 'POST', ha, { topics: [A.topic] }),
      204,
      'subscribe',
    );
    const hb = { ...B.creds(), 'content-type': V2, accept: V2 };
    const tp = { partitions: [{ topic: A.topic, partition: 0 }] };
    const requests: [string, string, unknown?][] = [
      ['GET', '/subscription'],
      ['POST', '/subscription', { topics: [B.topic] }],
      ['DELETE', '/subscription'],
      ['GET', '/assignments'],
      ['POST', '/assignments', { partitions: [{ topic: B.topic, partition: 0 }] }],
      ['POST', '/positions', { offsets: [{ topic: A.topic, partition: 0, offset: 0 }] }],
      ['POST', '/positions/beginning', tp],
      ['POST', '/positions/end', tp],
      ['GET', '/records?timeout=100'],
      ['POST', '/offsets', { offsets: [{ topic: A.topic, partition: 0, offset: 0 }] }],
      ['GET', '/offsets', tp],
      ['DELETE', ''],
    ];
    const missing = `/consumers/${A.group}/instances/never-${run}`;
    for (const base of [need('AUTH_EDGE_URL'), first, second]) {
      for (const [method, suffix, body] of requests) {
        const headers = suffix.startsWith('/records') ? { ...hb, accept: BINARY } : hb;
        const theirs = await notFound(
          send(`${base}${owned.path}${suffix}`, method, headers, body),
          `team b ${method} ${base} ${suffix}`,
        );
        const none = await send(`${base}${missing}${suffix}`, method, headers, body);
        assert.deepEqual(
          [none.status, none.text],
          [theirs.status, theirs.text],
          'same as a missing one',
        );
      }
    }
    // A's instance is untouched: still subscribed, still A's, still served through forwarding
    for (const base of [second, need('AUTH_EDGE_URL')]) {
      const sub = await expect(
        send(`${base}${owned.path}/subscription`, 'GET', { ...A.creds(), accept: V2 }),
        200,
        'owner',
      );
      assert.deepEqual(sub.body, { topics: [A.topic] });
    }
  },
);

test(
  'a topic_pattern subscription only ever covers topics the owner may consume',
  { skip },
  async () => {
    const h = A.creds();
    const i = await createInstance(h, `${A.group}-pattern`, 'binary');
    instances.push({ h: A.creds, i });
    // the pattern names both teams' topics of this run; only team a's are resolved
    await expect(
      send(
        edge(`${i.path}/subscription`),
        'POST',
        { ...h, 'content-type': V2 },
        {
          topic_pattern: `team-.\\.teams-${run}`,
        },
      ),
      204,
      'pattern subscribe',
    );
    await expect(
      produceV2(B.creds(), B.topic, BINARY, [
        { value: Buffer.from('b-secret').toString('base64') },
      ]),
      200,
      'team b produces',
    );
    await expect(
      produceV2(h, A.topic, BINARY, [{ value: Buffer.from('a-late').toString('base64') }]),
      200,
      'team a produces',
    );
    const got = await readRecords(h, i, BINARY, 2);
    assert.ok(got.length >= 2, `read ${got.length}`);
    assert.ok(
      got.every((r) => r.topic === A.topic),
      got.map((r) => r.topic).join(),
    );
    const sub = await expect(
      send(edge(`${i.path}/subscription`), 'GET', { ...h, accept: V2 }),
      200,
      'subscription',
    );
    assert.deepEqual(sub.body, { topics: [A.topic] });
  },
);
