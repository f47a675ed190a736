import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createLogger, type RunningGateway, startGateway } from '@kafka-gateway/server-kit';
import { independentKafka } from '../kafka/independent-client.test-support';
import { AppModule } from '../app.module';
import { loadConsumerConfig } from '../config/consumer.config';
import { secureStackSettings, testPrincipalMiddleware } from '@kafka-gateway/server-kit/testing';

// Principal propagation for consumer instances against the ACL broker of `infra/stack up
// --secure`: an in-process consumer gateway on the SCRAM (SASL_SSL) listener, logged in as
// `gateway`, with KAFKA_PRINCIPAL_PROPAGATION=on. An instance runs as its creator for its whole
// life: `alice` has the gateway's ACLs (topics and groups `allowed-*`), `mallory` has none. The
// principal is set by a test-only middleware from `x-test-user` (name:password), standing in for
// the gateway's authentication.
const plaintext = process.env['KAFKA_BROKERS'];

const secure = secureStackSettings(process.env, {
  brokers: true,
  key: 'KAFKA_SCRAM_DENIED_USER',
  what: 'the propagation users',
});
const skip = secure.skip;
const s = (name: string): string => secure.get(name);

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';

let gw: RunningGateway | undefined;
let base = '';

before(async () => {
  if (skip !== false) return;
  const config = loadConsumerConfig({
    KAFKA_BROKERS: s('KAFKA_SASL_SSL_BROKERS'),
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_LOCATION: s('TLS_CA_FILE'),
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: s('KAFKA_SCRAM_USERNAME'),
    KAFKA_SASL_PASSWORD_FILE: s('KAFKA_SCRAM_PASSWORD_FILE'),
    KAFKA_PRINCIPAL_PROPAGATION: 'on',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('consumer-gateway-propagation', 'silent');
  gw = await startGateway({
    rootModule: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
    beforeBody: () => [testPrincipalMiddleware()],
  });
  base = `http://127.0.0.1:${gw.port}`;
  const deadline = Date.now() + 60_000;
  while ((await fetch(`http://127.0.0.1:${gw.managementPort}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('consumer gateway not ready');
    await new Promise((r) => setTimeout(r, 200));
  }
});

after(async () => {
  await gw?.shutdown('test end');
});

const kafka = independentKafka(plaintext ?? '127.0.0.1:1');

/** A fresh topic holding `records` records, written as the super user through PLAINTEXT. */
async function topicWith(prefix: 'allowed-' | 'denied-', records: number): Promise<string> {
  const topic = `${prefix}prop-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: records }, (_, i) => ({ value: `r${i}` })),
  });
  await producer.disconnect();
  return topic;
}

const asUser = (name: string, pw = s('KAFKA_SCRAM_PASSWORD')) => ({
  'x-test-user': `${name}:${pw}`,
});
const alice = () => asUser(s('KAFKA_SCRAM_ALLOWED_USER'));
const mallory = () => asUser(s('KAFKA_SCRAM_DENIED_USER'));

/** One exchange; node:http, since GET .../offsets carries a body (which fetch refuses). */
function call(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
  accept = V2,
): Promise<{ status: number; body: unknown }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      base + path,
      {
        method,
        headers: {
          accept,
          ...(payload === undefined
            ? {}
            : { 'content-type': V2, 'content-length': String(Buffer.byteLength(payload)) }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? undefined : (JSON.parse(text) as unknown),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls records until `count` arrived or a request fails; answers the last status and records. */
async function poll(
  path: string,
  headers: Record<string, string>,
  count: number,
): Promise<{ status: number; records: unknown[]; body: unknown }> {
  const records: unknown[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await call('GET', `${path}/records?timeout=1000`, headers, undefined, BINARY);
    if (r.status !== 200) return { status: r.status, records, body: r.body };
    records.push(...(r.body as unknown[]));
    if (records.length >= count || Date.now() > deadline)
      return { status: 200, records, body: r.body };
  }
}

const errorCode = (body: unknown) => (body as { error_code?: number } | undefined)?.error_code;

test(
  "alice's instance consumes, commits and reads its committed offsets as alice",
  { skip },
  async () => {
    const topic = await topicWith('allowed-', 2);
    const group = `allowed-g-${randomUUID().slice(0, 8)}`;
    const path = `/consumers/${group}/instances/c1`;
    const created = await call('POST', `/consumers/${group}`, alice(), {
      name: 'c1',
      format: 'binary',
      'auto.offset.reset': 'earliest',
      'auto.commit.enable': 'false',
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const sub = await call('POST', `${path}/subscription`, alice(), { topics: [topic] });
    assert.equal(sub.status, 204, JSON.stringify(sub.body));
    const got = await poll(path, alice(), 2);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.records.length, 2);
    const commit = await call('POST', `${path}/offsets`, alice(), {
      offsets: [{ topic, partition: 0, offset: 1 }],
    });
    assert.equal(commit.status, 200, JSON.stringify(commit.body));
    const committed = await call('GET', `${path}/offsets`, alice(), {
      partitions: [{ topic, partition: 0 }],
    });
    assert.equal(committed.status, 200, JSON.stringify(committed.body));
    assert.deepEqual((committed.body as { offsets: { offset: number }[] }).offsets[0]?.offset, 2);
    assert.equal((await call('DELETE', path, alice())).status, 204);
  },
);

test(
  "mallory's instance (no ACLs) is refused by Kafka with 403/40301 where the gateway itself would be allowed",
  { skip },
  async () => {
    const topic = await topicWith('allowed-', 1);
    const group = `allowed-g-${randomUUID().slice(0, 8)}`;
    const path = `/consumers/${group}/instances/m1`;
    const created = await call('POST', `/consumers/${group}`, mallory(), {
      name: 'm1',
      format: 'binary',
      'auto.offset.reset': 'earliest',
    });
    assert.equal(created.status, 200);
    // checked as mallory before anything is started: Kafka refuses her the group and topic
    const sub = await call('POST', `${path}/subscription`, mallory(), { topics: [topic] });
    assert.equal(sub.status, 403, JSON.stringify(sub.body));
    assert.equal(errorCode(sub.body), 40301);
    const assigned = await call('POST', `${path}/assignments`, mallory(), {
      partitions: [{ topic, partition: 0 }],
    });
    assert.equal(assigned.status, 403, JSON.stringify(assigned.body));
    const committed = await call('GET', `${path}/offsets`, mallory(), {
      partitions: [{ topic, partition: 0 }],
    });
    assert.equal(committed.status, 403, JSON.stringify(committed.body));
    await call('DELETE', path, mallory());
  },
);

test(
  'alice in a group outside her ACLs: the subscription is refused as alice (403/40301)',
  { skip },
  async () => {
    const topic = await topicWith('allowed-', 1);
    const group = `denied-g-${randomUUID().slice(0, 8)}`;
    const path = `/consumers/${group}/instances/a2`;
    assert.equal(
      (await call('POST', `/consumers/${group}`, alice(), { name: 'a2', format: 'binary' })).status,
      200,
    );
    const sub = await call('POST', `${path}/subscription`, alice(), { topics: [topic] });
    assert.equal(sub.status, 403, JSON.stringify(sub.body));
    assert.equal(errorCode(sub.body), 40301);
    assert.match(JSON.stringify(sub.body), /group/);
    await call('DELETE', path, alice());
  },
);

test(
  "a manual assignment by alice: the private group's admin calls and non-member commits run as alice",
  { skip },
  async () => {
    const topic = await topicWith('allowed-', 3);
    const group = `allowed-g-${randomUUID().slice(0, 8)}`;
    const path = `/consumers/${group}/instances/a3`;
    assert.equal(
      (
        await call('POST', `/consumers/${group}`, alice(), {
          name: 'a3',
          format: 'binary',
          'auto.offset.reset': 'earliest',
        })
      ).status,
      200,
    );
    const assigned = await call('POST', `${path}/assignments`, alice(), {
      partitions: [{ topic, partition: 0 }],
    });
    assert.equal(assigned.status, 204, JSON.stringify(assigned.body));
    const got = await poll(path, alice(), 3);
    assert.equal(got.records.length, 3, JSON.stringify(got.body));
    const commit = await call('POST', `${path}/offsets`, alice(), {
      offsets: [{ topic, partition: 0, offset: 2 }],
    });
    assert.equal(commit.status, 200, JSON.stringify(commit.body));
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    await admin.disconnect();
    assert.equal(offsets?.partitions[0]?.offset, '3', 'committed to the named group');
    assert.equal((await call('DELETE', path, alice())).status, 204);
  },
);

test("a wrong password: Kafka refuses the creator's login, 401/40101", { skip }, async () => {
  const topic = await topicWith('allowed-', 1);
  const group = `allowed-g-${randomUUID().slice(0, 8)}`;
  const path = `/consumers/${group}/instances/w1`;
  const wrong = asUser(s('KAFKA_SCRAM_ALLOWED_USER'), 'not-it');
  assert.equal(
    (await call('POST', `/consumers/${group}`, wrong, { name: 'w1', format: 'binary' })).status,
    200,
  );
  const sub = await call('POST', `${path}/subscription`, wrong, { topics: [topic] });
  assert.equal(sub.status, 401, JSON.stringify(sub.body));
  assert.equal(errorCode(sub.body), 40101);
  const anonymous = await call('POST', `/consumers/${group}`, {}, { name: 'w2' });
  assert.equal(anonymous.status, 401, 'no credential: refused (fallback refuse)');
  await call('DELETE', path, wrong);
});
