import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger, type RunningGateway, startGateway } from '@kafka-gateway/server-kit';
import { Kafka, logLevel } from 'kafkajs';
import { AppModule } from '../app.module';
import { loadProducerConfig } from '../config/producer.config';
import { isStreamingProduce } from './v3/streaming-route';
import { secureStackSettings, testPrincipalMiddleware } from '@kafka-gateway/server-kit/testing';

// Principal propagation against the ACL broker of `infra/stack up --secure`: in-process producer
// gateways on the SCRAM (SASL_SSL) and OAUTHBEARER listeners, logged in as `gateway`, with
// KAFKA_PRINCIPAL_PROPAGATION=on. The callers' own Kafka ACLs decide: `alice` has the gateway's
// ACLs (topics and groups `allowed-*`), `mallory` has none, and the gateway itself could write
// every topic used here. The principal is set by a test-only middleware from `x-test-user`
// (name:password) or `x-test-bearer` (a token), standing in for the gateway's authentication.
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

const gateways: RunningGateway[] = [];
let scram = '';
let scramManagement = '';
let oauth = '';

async function start(env: Record<string, string>): Promise<RunningGateway> {
  const config = loadProducerConfig({
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    KAFKA_SSL_CA_LOCATION: s('TLS_CA_FILE'),
    KAFKA_PRINCIPAL_PROPAGATION: 'on',
    KAFKA_PRODUCE_TIMEOUT_MS: '20000',
    ...env,
  });
  const logger = createLogger('producer-gateway-propagation', 'silent');
  const gw = await startGateway({
    rootModule: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
    beforeBody: () => [testPrincipalMiddleware()],
    streamingBody: isStreamingProduce,
  });
  gateways.push(gw);
  const deadline = Date.now() + 60_000;
  while ((await fetch(`http://127.0.0.1:${gw.managementPort}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('producer gateway not ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  return gw;
}

const kafka = new Kafka({ brokers: (plaintext ?? '').split(','), logLevel: logLevel.NOTHING });

before(async () => {
  if (skip !== false) return;
  const [a, b] = await Promise.all([
    start({
      KAFKA_BROKERS: s('KAFKA_SASL_SSL_BROKERS'),
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: s('KAFKA_SCRAM_USERNAME'),
      KAFKA_SASL_PASSWORD_FILE: s('KAFKA_SCRAM_PASSWORD_FILE'),
      // callers log in with the other SCRAM mechanism than the gateway's own
      KAFKA_PROPAGATION_SASL_MECHANISM: 'scram-sha-256',
    }),
    start({
      KAFKA_BROKERS: s('KAFKA_OAUTH_BROKERS'),
      KAFKA_SECURITY_PROTOCOL: s('KAFKA_OAUTH_SECURITY_PROTOCOL'),
      KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
      KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL: s('OAUTH_TOKEN_URL'),
      KAFKA_SASL_OAUTHBEARER_CLIENT_ID: s('OAUTH_CLIENT_ID'),
      KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET_FILE: s('OAUTH_CLIENT_SECRET_FILE'),
    }),
  ]);
  scram = `http://127.0.0.1:${a.port}`;
  scramManagement = `http://127.0.0.1:${a.managementPort}`;
  oauth = `http://127.0.0.1:${b.port}`;
});

after(async () => {
  await Promise.all(gateways.map((g) => g.shutdown('test end')));
});

/** A fresh topic; `allowed-` ones are covered by alice's (and the gateway's) ACLs. */
async function createTopic(prefix: 'allowed-' | 'denied-'): Promise<string> {
  const topic = `${prefix}prop-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

/** Records in the topic, read as the super user through PLAINTEXT. */
async function logEnd(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((n, o) => n + Number(o.high), 0);
}

const password = () => s('KAFKA_SCRAM_PASSWORD');
const asUser = (name: string, pw = password()) => ({ 'x-test-user': `${name}:${pw}` });

interface Answer {
  status: number;
  body: { error_code?: number; offsets?: { error_code: number | null; offset: number | null }[] };
  text: string;
}

async function produceV2(
  base: string,
  topic: string,
  headers: Record<string, string>,
  values = ['aGk='],
): Promise<Answer> {
  const res = await fetch(`${base}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': BINARY, accept: V2, ...headers },
    body: JSON.stringify({ records: values.map((value) => ({ value })) }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Answer['body'], text };
}

async function produceV3(
  base: string,
  topic: string,
  headers: Record<string, string>,
  how: 'batch' | 'stream',
): Promise<{ status: number; lines: { error_code: number }[] }> {
  const record = { value: { type: 'STRING', data: 'v3' } };
  const res = await fetch(
    `${base}/v3/clusters/c/topics/${topic}/records${how === 'batch' ? ':batch' : ''}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body:
        how === 'batch'
          ? JSON.stringify({
              entries: [
                { id: '1', ...record },
                { id: '2', ...record },
              ],
            })
          : JSON.stringify(record) + JSON.stringify(record),
    },
  );
  const text = await res.text();
  if (how === 'stream') {
    const lines = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { error_code: number });
    return { status: res.status, lines };
  }
  const body = JSON.parse(text) as {
    successes?: { error_code?: number }[];
    failures?: { error_code: number }[];
    error_code?: number;
  };
  if (body.successes === undefined)
    return { status: res.status, lines: [{ error_code: body.error_code ?? -1 }] };
  return {
    status: res.status,
    lines: [
      ...body.successes.map(() => ({ error_code: 200 })),
      ...(body.failures ?? []).map((f) => ({ error_code: f.error_code })),
    ],
  };
}

test(
  'an authorized caller (alice) produces with her own identity: v2, v3 records:batch and the v3 stream',
  { skip },
  async () => {
    const topic = await createTopic('allowed-');
    const v2 = await produceV2(scram, topic, asUser(s('KAFKA_SCRAM_ALLOWED_USER')), [
      'YQ==',
      'Yg==',
    ]);
    assert.equal(v2.status, 200, v2.text);
    assert.deepEqual(
      v2.body.offsets?.map((o) => o.error_code),
      [null, null],
    );
    const batch = await produceV3(scram, topic, asUser(s('KAFKA_SCRAM_ALLOWED_USER')), 'batch');
    assert.equal(batch.status, 207);
    assert.deepEqual(batch.lines, [{ error_code: 200 }, { error_code: 200 }]);
    const stream = await produceV3(scram, topic, asUser(s('KAFKA_SCRAM_ALLOWED_USER')), 'stream');
    assert.deepEqual(
      stream.lines.map((l) => l.error_code),
      [200, 200],
    );
    assert.equal(await logEnd(topic), 6);
    const metrics = await (await fetch(`${scramManagement}/metrics`)).text();
    assert.match(metrics, /kafka_gateway_principal_clients\{[^}]*kind="producer"[^}]*\} [1-9]/);
    assert.doesNotMatch(metrics, /alice|mallory/, 'no principal names in metrics');
  },
);

test(
  'an unauthorized caller (mallory, no ACLs) gets 403/40301 on every produce API and nothing is written, though the gateway itself may write the topic',
  { skip },
  async () => {
    const topic = await createTopic('allowed-');
    const mallory = asUser(s('KAFKA_SCRAM_DENIED_USER'));
    const v2 = await produceV2(scram, topic, mallory);
    assert.equal(v2.status, 403, v2.text);
    assert.ok(
      v2.body.error_code === 40301 || v2.body.offsets?.every((o) => o.error_code === 40301),
      v2.text,
    );
    const batch = await produceV3(scram, topic, mallory, 'batch');
    assert.ok(
      batch.lines.length > 0 && batch.lines.every((l) => l.error_code === 40301),
      JSON.stringify(batch),
    );
    const stream = await produceV3(scram, topic, mallory, 'stream');
    assert.ok(
      stream.lines.length > 0 && stream.lines.every((l) => l.error_code === 40301),
      JSON.stringify(stream),
    );
    assert.equal(await logEnd(topic), 0, 'nothing was written');
  },
);

test(
  'alice on a topic outside her ACLs: 403/40301, and her next produce to an allowed topic works (her producer is not left broken)',
  { skip },
  async () => {
    const allowed = await createTopic('allowed-');
    const denied = await createTopic('denied-');
    const alice = asUser(s('KAFKA_SCRAM_ALLOWED_USER'));
    const refused = await produceV2(scram, denied, alice);
    assert.equal(refused.status, 403, refused.text);
    const ok = await produceV2(scram, allowed, alice);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(await logEnd(denied), 0);
    assert.equal(await logEnd(allowed), 1);
  },
);

test(
  "an unauthorized caller's failures never break the authorized caller's produce: interleaved, then concurrent",
  { skip },
  async () => {
    const topic = await createTopic('allowed-');
    const alice = asUser(s('KAFKA_SCRAM_ALLOWED_USER'));
    const mallory = asUser(s('KAFKA_SCRAM_DENIED_USER'));
    for (let i = 0; i < 3; i++) {
      assert.equal((await produceV2(scram, topic, mallory)).status, 403);
      const ok = await produceV2(scram, topic, alice);
      assert.equal(ok.status, 200, ok.text);
    }
    const rounds = 4;
    const results = await Promise.all(
      Array.from({ length: rounds }, (_, i) => [
        produceV2(scram, topic, alice, [`cm91bmQ${i}`]),
        produceV2(scram, topic, mallory),
        produceV3(scram, topic, mallory, 'batch'),
        produceV3(scram, topic, alice, 'batch'),
      ]).flat(),
    );
    for (let i = 0; i < results.length; i += 4) {
      const [aliceV2, malloryV2, malloryV3, aliceV3] = results.slice(i, i + 4) as [
        Answer,
        Answer,
        Awaited<ReturnType<typeof produceV3>>,
        Awaited<ReturnType<typeof produceV3>>,
      ];
      assert.equal(aliceV2.status, 200, aliceV2.text);
      assert.equal(malloryV2.status, 403, malloryV2.text);
      assert.ok(malloryV3.lines.every((l) => l.error_code === 40301));
      assert.deepEqual(aliceV3.lines, [{ error_code: 200 }, { error_code: 200 }]);
    }
    // 3 interleaved + 4 concurrent v2 records and 4 × 2 v3 records of alice, none of mallory
    assert.equal(await logEnd(topic), 3 + rounds + rounds * 2);
  },
);

test(
  "a wrong password is Kafka refusing the caller's login: 401/40101; no caller credential: 401/40101",
  { skip },
  async () => {
    const topic = await createTopic('allowed-');
    const wrong = await produceV2(scram, topic, asUser(s('KAFKA_SCRAM_ALLOWED_USER'), 'not-it'));
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(wrong.body.error_code, 40101);
    const anonymous = await produceV2(scram, topic, {});
    assert.equal(anonymous.status, 401, anonymous.text);
    assert.equal(anonymous.body.error_code, 40101);
    // the right password right after: a fresh login, written
    assert.equal(
      (await produceV2(scram, topic, asUser(s('KAFKA_SCRAM_ALLOWED_USER')))).status,
      200,
    );
    assert.equal(await logEnd(topic), 1);
  },
);

async function token(query = ''): Promise<string> {
  const basic = Buffer.from(`${s('OAUTH_CLIENT_ID')}:${s('OAUTH_CLIENT_SECRET')}`).toString(
    'base64',
  );
  const res = await fetch(`${s('OAUTH_TOKEN_URL')}${query}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

test(
  'a bearer caller produces through OAUTHBEARER with its own token; its ACLs decide; Kafka refusing its token is 401/40101',
  { skip },
  async () => {
    const allowed = await createTopic('allowed-');
    const denied = await createTopic('denied-');
    const own = { 'x-test-bearer': await token() };
    const ok = await produceV2(oauth, allowed, own);
    assert.equal(ok.status, 200, ok.text);
    const stream = await produceV3(oauth, allowed, own, 'stream');
    assert.deepEqual(
      stream.lines.map((l) => l.error_code),
      [200, 200],
    );
    const refused = await produceV2(oauth, denied, own);
    assert.equal(refused.status, 403, refused.text);
    // signed by a key the broker does not trust: the gateway's own token is fine, the caller's not
    const forged = await produceV2(oauth, allowed, {
      'x-test-bearer': await token('?key=untrusted'),
    });
    assert.equal(forged.status, 401, forged.text);
    assert.equal(forged.body.error_code, 40101);
    assert.equal(await logEnd(allowed), 3);
    assert.equal(await logEnd(denied), 0);
  },
);
