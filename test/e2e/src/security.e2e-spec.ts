import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import pino, { type Logger } from 'pino';
import { type Env, type RunningGateway, startGateway } from '@kafka-gateway/server-kit';
import { AppModule as ProducerAppModule } from '@kafka-gateway/producer-gateway/dist/app.module';
import { loadProducerConfig } from '@kafka-gateway/producer-gateway/dist/config/producer.config';
import { isStreamingProduce } from '@kafka-gateway/producer-gateway/dist/produce/v3/streaming-route';
import { AppModule as ConsumerAppModule } from '@kafka-gateway/consumer-gateway/dist/app.module';
import { loadConsumerConfig } from '@kafka-gateway/consumer-gateway/dist/config/consumer.config';

/**
 * The gateways over every Kafka security mechanism of `infra/stack up --secure`: SASL_SSL with
 * SCRAM-SHA-512, SSL with a client certificate, SASL_PLAINTEXT with PLAIN and OAUTHBEARER on
 * SASL_SSL. For each, a producer-gateway and a consumer-gateway run in this process (their own
 * AppModules fed an env object, secrets through the `*_FILE` variables) and are driven over
 * HTTP: all five produce formats → a consumer instance → committed offsets, v3 administration and
 * v3 streaming produce, and the broker's ACLs (User:gateway may use `allowed-` topics and groups
 * only) answered as Confluent does (403/40301). Then refused credentials (wrong SCRAM password,
 * untrusted CA, expired client certificate): not ready, one error line, fast retriable 503s, and
 * recovery without a restart once the file is fixed. Every log line, error body and /metrics
 * page of the suite is checked for the secrets at the end. Topics are created through the
 * PLAINTEXT super-user listener.
 */
const env = process.env;
const secure = env['STACK_SECURE_DIR'] !== undefined && env['STACK_SECURE_DIR'] !== '';

function need(name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set (source security.env)`);
  return v;
}

const V2 = 'application/vnd.kafka.v2+json';
const JSON_CT = 'application/json';
const FORMATS = ['binary', 'json', 'avro', 'jsonschema', 'protobuf'] as const;
type Format = (typeof FORMATS)[number];
/** Longest acceptable answer while Kafka refuses the gateway (the produce timeout is 30 s). */
const REFUSED_ANSWER_MAX_MS = 3000;

// ---- what the suite saw, checked for secrets at the end ----------------------------------------
const seenLogs: string[] = [];
const seenBodies: string[] = [];
const seenMetrics: string[] = [];
const timings: string[] = [];

/** A pino logger shaped like the gateways' own (createLogger), writing into `lines`. */
function capturingLogger(name: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        lines.push(line);
        seenLogs.push(line);
      }
      done();
    },
  });
  const logger = pino(
    {
      name,
      level: 'debug',
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return { logger, lines };
}

function errorLines(lines: readonly string[]): string[] {
  return lines.filter((l) => (JSON.parse(l) as { level: string }).level === 'error');
}

// ---- HTTP -------------------------------------------------------------------------------------
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: unknown;
  ms: number;
}

/** One request (GET bodies included, which fetch() cannot send); every body is kept. */
function call(
  base: string,
  method: string,
  path: string,
  init: { body?: unknown; raw?: string; contentType?: string; accept?: string } = {},
): Promise<Answer> {
  const payload = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const headers: Record<string, string | number> = {};
  if (payload !== undefined) {
    headers['content-type'] = init.contentType ?? V2;
    headers['content-length'] = Buffer.byteLength(payload);
  }
  if (init.accept !== undefined) headers['accept'] = init.accept;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(new URL(base + path), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        seenBodies.push(text);
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          body,
          ms: Date.now() - started,
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const errorCode = (a: Answer): unknown =>
  (a.body as { error_code?: unknown } | undefined)?.error_code;

// ---- Kafka through the PLAINTEXT super-user listener -----------------------------------------
const plain = secure
  ? new Kafka({
      clientId: 'security-e2e',
      brokers: need('KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    })
  : undefined;

async function withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = plain!.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function createTopics(topics: readonly string[]): Promise<void> {
  await withAdmin((a) =>
    a.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: true,
    }),
  );
}

/** Records in a topic (all partitions), read as log-end offsets through PLAINTEXT. */
async function recordCount(topic: string): Promise<number> {
  const offsets = await withAdmin((a) => a.fetchTopicOffsets(topic));
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

// ---- gateways ---------------------------------------------------------------------------------
interface Gateway {
  readonly name: string;
  readonly running: RunningGateway;
  readonly url: string;
  readonly management: string;
  readonly logs: string[];
}

async function startProducer(name: string, security: Env): Promise<Gateway> {
  const { logger, lines } = capturingLogger(`producer-${name}`);
  const config = loadProducerConfig({ ...baseEnv(), ...security });
  const running = await startGateway({
    rootModule: ProducerAppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
    streamingBody: isStreamingProduce,
  });
  return gateway(`producer-${name}`, running, lines);
}

async function startConsumer(name: string, security: Env): Promise<Gateway> {
  const { logger, lines } = capturingLogger(`consumer-${name}`);
  const config = loadConsumerConfig({ ...baseEnv(), ...security });
  const running = await startGateway({
    rootModule: ConsumerAppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
  });
  return gateway(`consumer-${name}`, running, lines);
}

function gateway(name: string, running: RunningGateway, logs: string[]): Gateway {
  return {
    name,
    running,
    url: `http://127.0.0.1:${running.port}`,
    management: `http://127.0.0.1:${running.managementPort}`,
    logs,
  };
}

function baseEnv(): Env {
  return {
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    HTTP_SHUTDOWN_TIMEOUT_MS: '2000',
    // cases with refused credentials never get ready: their public port opens at once
    HTTP_LISTEN_READY_WAIT_MS: '0',
    LOG_LEVEL: 'debug',
    SCHEMA_REGISTRY_URL: need('SCHEMA_REGISTRY_URL'),
    KAFKA_PRODUCE_TIMEOUT_MS: '30000',
  };
}

async function ready(g: Gateway): Promise<boolean> {
  const res = await fetch(`${g.management}/readyz`);
  await res.text();
  return res.status === 200;
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Keeps the /metrics page for the secret check, then stops the gateway. */
async function stop(g: Gateway | undefined): Promise<void> {
  if (g === undefined) return;
  seenMetrics.push(await (await fetch(`${g.management}/metrics`)).text());
  await g.running.shutdown('test end');
}

// ---- the mechanisms ---------------------------------------------------------------------------
interface Mechanism {
  readonly name: string;
  readonly env: () => Env;
}

const MECHANISMS: readonly Mechanism[] = [
  {
    name: 'scram',
    env: () => ({
      KAFKA_BROKERS: need('KAFKA_SASL_SSL_BROKERS'),
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SSL_CA_LOCATION: need('TLS_CA_FILE'),
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: need('KAFKA_SCRAM_USERNAME'),
      KAFKA_SASL_PASSWORD_FILE: need('KAFKA_SCRAM_PASSWORD_FILE'),
    }),
  },
  {
    name: 'mtls',
    env: () => ({
      KAFKA_BROKERS: need('KAFKA_SSL_BROKERS'),
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CA_LOCATION: need('TLS_CA_FILE'),
      KAFKA_SSL_CERTIFICATE_LOCATION: need('TLS_CLIENT_CERT_FILE'),
      KAFKA_SSL_KEY_LOCATION: need('TLS_CLIENT_KEY_FILE'),
    }),
  },
  {
    name: 'plain',
    env: () => ({
      KAFKA_BROKERS: need('KAFKA_SASL_PLAINTEXT_BROKERS'),
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: need('KAFKA_PLAIN_USERNAME'),
      KAFKA_SASL_PASSWORD_FILE: need('KAFKA_PLAIN_PASSWORD_FILE'),
    }),
  },
  {
    name: 'oauth',
    env: () => ({
      KAFKA_BROKERS: need('KAFKA_OAUTH_BROKERS'),
      KAFKA_SECURITY_PROTOCOL: need('KAFKA_OAUTH_SECURITY_PROTOCOL'),
      KAFKA_SSL_CA_LOCATION: need('TLS_CA_FILE'),
      KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
      KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL: need('OAUTH_TOKEN_URL'),
      KAFKA_SASL_OAUTHBEARER_CLIENT_ID: need('OAUTH_CLIENT_ID'),
      KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET_FILE: need('OAUTH_CLIENT_SECRET_FILE'),
    }),
  },
];

/** Three records of each format, and what a consumer instance of that format gives back. */
const AVRO_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Reading',
  namespace: 'security',
  fields: [
    { name: 'n', type: 'int' },
    { name: 's', type: 'string' },
  ],
});
const JSON_SCHEMA = JSON.stringify({
  type: 'object',
  properties: { n: { type: 'integer' }, s: { type: 'string' } },
  required: ['n', 's'],
});
const PROTO_SCHEMA =
  'syntax = "proto3";\npackage security;\nmessage Reading { int32 n = 1; string s = 2; }\n';
const values = [1, 2, 3].map((n) => ({ n, s: `v${n}` }));
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function producePayload(format: Format): {
  body: Record<string, unknown>;
  expected: { key: unknown; value: unknown }[];
} {
  switch (format) {
    case 'binary':
      return {
        body: {
          records: values.map((v) => ({ key: b64(`k${v.n}`), value: b64(JSON.stringify(v)) })),
        },
        expected: values.map((v) => ({ key: b64(`k${v.n}`), value: b64(JSON.stringify(v)) })),
      };
    case 'json':
      return {
        body: { records: values.map((v) => ({ key: `k${v.n}`, value: v })) },
        expected: values.map((v) => ({ key: `k${v.n}`, value: v })),
      };
    case 'avro':
      return {
        body: {
          key_schema: JSON.stringify('string'),
          value_schema: AVRO_SCHEMA,
          records: values.map((v) => ({ key: `k${v.n}`, value: v })),
        },
        expected: values.map((v) => ({ key: `k${v.n}`, value: v })),
      };
    case 'jsonschema':
      return {
        body: { value_schema: JSON_SCHEMA, records: values.map((v) => ({ value: v })) },
        expected: values.map((v) => ({ key: null, value: v })),
      };
    case 'protobuf':
      return {
        body: { value_schema: PROTO_SCHEMA, records: values.map((v) => ({ value: v })) },
        expected: values.map((v) => ({ key: null, value: v })),
      };
  }
}

/** v2 produce in one format → a consumer instance of that format → commit → committed offsets. */
async function produceConsumeCommit(
  producer: Gateway,
  consumer: Gateway,
  format: Format,
  topic: string,
): Promise<void> {
  const { body, expected } = producePayload(format);
  const produced = await call(producer.url, 'POST', `/topics/${topic}`, {
    body,
    contentType: `application/vnd.kafka.${format}.v2+json`,
    accept: V2,
  });
  assert.equal(produced.status, 200, `${format} produce: ${produced.text}`);
  const offsets = (produced.body as { offsets: { offset: number; error_code: number | null }[] })
    .offsets;
  assert.deepEqual(
    offsets.map((o) => [o.offset, o.error_code]),
    [
      [0, null],
      [1, null],
      [2, null],
    ],
  );

  const group = `allowed-${format}-${randomUUID().slice(0, 8)}`;
  const created = await call(consumer.url, 'POST', `/consumers/${group}`, {
    body: { name: 'c1', format, 'auto.offset.reset': 'earliest' },
  });
  assert.equal(created.status, 200, `${format} create instance: ${created.text}`);
  const path = `/consumers/${group}/instances/c1`;
  try {
    const sub = await call(consumer.url, 'POST', `${path}/subscription`, {
      body: { topics: [topic] },
    });
    assert.equal(sub.status, 204, sub.text);
    const got: { key: unknown; value: unknown; offset: number }[] = [];
    const deadline = Date.now() + 30_000;
    while (got.length < expected.length && Date.now() < deadline) {
      const r = await call(consumer.url, 'GET', `${path}/records?timeout=1000`, {
        accept: `application/vnd.kafka.${format}.v2+json`,
      });
      assert.equal(r.status, 200, `${format} records: ${r.text}`);
      got.push(...(r.body as { key: unknown; value: unknown; offset: number }[]));
    }
    assert.deepEqual(
      got.sort((a, b) => a.offset - b.offset).map((r) => ({ key: r.key, value: r.value })),
      expected,
      format,
    );
    const commit = await call(consumer.url, 'POST', `${path}/offsets`);
    assert.equal(commit.status, 200, `${format} commit: ${commit.text}`);
    const committed = await call(consumer.url, 'GET', `${path}/offsets`, {
      body: { partitions: [{ topic, partition: 0 }] },
    });
    assert.equal(committed.status, 200, committed.text);
    assert.deepEqual(
      (
        committed.body as { offsets: { topic: string; partition: number; offset: number }[] }
      ).offsets.map((o) => [o.topic, o.partition, o.offset]),
      [[topic, 0, 3]],
    );
    // and Kafka has them, read back through the super-user listener
    const kafkaSide = await withAdmin((a) => a.fetchOffsets({ groupId: group, topics: [topic] }));
    assert.equal(kafkaSide[0]?.partitions[0]?.offset, '3');
  } finally {
    const deleted = await call(consumer.url, 'DELETE', path);
    assert.equal(deleted.status, 204, deleted.text);
  }
}

async function clusterId(producer: Gateway): Promise<string> {
  const res = await call(producer.url, 'GET', '/v3/clusters');
  assert.equal(res.status, 200, res.text);
  return (res.body as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
}

const uid = (): string => randomUUID().slice(0, 8);

describe(
  'Kafka security mechanisms',
  { skip: secure ? false : 'needs `infra/stack up --secure` (security.env)' },
  () => {
    for (const mechanism of MECHANISMS) {
      describe(mechanism.name, () => {
        const id = uid();
        const formatTopics = new Map(
          FORMATS.map((f) => [f, `allowed-${mechanism.name}-${f}-${id}`]),
        );
        const streamTopic = `allowed-${mechanism.name}-v3-records-${id}`;
        const deniedTopic = `denied-${mechanism.name}-${id}`;
        let producer: Gateway | undefined;
        let consumer: Gateway | undefined;

        before(async () => {
          await createTopics([...formatTopics.values(), streamTopic, deniedTopic]);
          [producer, consumer] = await Promise.all([
            startProducer(mechanism.name, mechanism.env()),
            startConsumer(mechanism.name, mechanism.env()),
          ]);
          await until(
            `${mechanism.name} gateways ready`,
            async () => (await ready(producer!)) && (await ready(consumer!)),
          );
        });

        after(async () => {
          await Promise.all([stop(producer), stop(consumer)]);
        });

        test('v2 produce in all five formats → consumer instance → committed offsets', async () => {
          await Promise.all(
            FORMATS.map((f) => produceConsumeCommit(producer!, consumer!, f, formatTopics.get(f)!)),
          );
        });

        test('v3 admin: create, get, list, delete an allowed- topic', async () => {
          const c = await clusterId(producer!);
          const name = `allowed-${mechanism.name}-admin-${uid()}`;
          const created = await call(producer!.url, 'POST', `/v3/clusters/${c}/topics`, {
            contentType: JSON_CT,
            body: { topic_name: name, partitions_count: 2, replication_factor: 1 },
          });
          assert.equal(created.status, 201, created.text);
          const got = await call(producer!.url, 'GET', `/v3/clusters/${c}/topics/${name}`);
          assert.equal(got.status, 200, got.text);
          assert.equal((got.body as { partitions_count: number }).partitions_count, 2);
          const list = await call(producer!.url, 'GET', `/v3/clusters/${c}/topics`);
          assert.equal(list.status, 200, list.text);
          const names = (list.body as { data: { topic_name: string }[] }).data.map(
            (t) => t.topic_name,
          );
          assert.ok(names.includes(name), names.join(','));
          assert.ok(
            names.every((n) => n.startsWith('allowed-')),
            `the gateway sees only what its ACLs let it describe: ${names.join(',')}`,
          );
          const deleted = await call(producer!.url, 'DELETE', `/v3/clusters/${c}/topics/${name}`);
          assert.equal(deleted.status, 204, deleted.text);
          const topics = await withAdmin((a) => a.listTopics());
          assert.ok(!topics.includes(name));
        });

        test('v3 streaming produce', async () => {
          const c = await clusterId(producer!);
          const records = [1, 2, 3].map((n) => ({
            key: { type: 'STRING', data: `k${n}` },
            value: { type: 'JSON', data: { n } },
          }));
          const res = await call(
            producer!.url,
            'POST',
            `/v3/clusters/${c}/topics/${streamTopic}/records`,
            {
              contentType: JSON_CT,
              raw: records.map((r) => JSON.stringify(r)).join('\n'),
            },
          );
          assert.equal(res.status, 200, res.text);
          const lines = res.text
            .split('\r\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as { error_code: number; offset: number });
          assert.deepEqual(
            lines.map((l) => [l.error_code, l.offset]),
            [
              [200, 0],
              [200, 1],
              [200, 2],
            ],
            res.text,
          );
          assert.equal(await recordCount(streamTopic), 3);
        });

        test('a topic the ACLs deny: v2 produce 403 with 40301 per record, nothing written', async () => {
          const res = await call(producer!.url, 'POST', `/topics/${deniedTopic}`, {
            contentType: 'application/vnd.kafka.binary.v2+json',
            body: { records: [{ value: b64('no') }, { value: b64('never') }] },
          });
          assert.equal(res.status, 403, res.text);
          const offsets = (
            res.body as { offsets?: { error_code: number | null; offset: number | null }[] }
          ).offsets;
          assert.ok(offsets !== undefined, `per-record results expected: ${res.text}`);
          assert.deepEqual(
            offsets.map((o) => [o.error_code, o.offset]),
            [
              [40301, null],
              [40301, null],
            ],
          );
          assert.equal(await recordCount(deniedTopic), 0);
        });

        test('a v3 admin call the ACLs deny: 403 with 40301', async () => {
          const c = await clusterId(producer!);
          const name = `denied-x-${uid()}`;
          const res = await call(producer!.url, 'POST', `/v3/clusters/${c}/topics`, {
            contentType: JSON_CT,
            body: { topic_name: name, partitions_count: 1 },
          });
          assert.equal(res.status, 403, res.text);
          assert.equal(errorCode(res), 40301);
          assert.ok(!(await withAdmin((a) => a.listTopics())).includes(name));
        });
      });
    }

    // ---- refused credentials, fixed in place --------------------------------------------------
    interface Broken {
      readonly name: string;
      /** The security settings, pointing at files in `dir` that hold the broken value. */
      readonly env: (dir: string) => Env;
      /** Writes the right value into the same files. */
      readonly fix: (dir: string) => void;
    }
    const BROKEN: readonly Broken[] = [
      {
        name: 'a wrong SCRAM password',
        env: (dir) => {
          writeFileSync(join(dir, 'password'), `wrong-${randomUUID()}\n`);
          return { ...MECHANISMS[0]!.env(), KAFKA_SASL_PASSWORD_FILE: join(dir, 'password') };
        },
        fix: (dir) => copyFileSync(need('KAFKA_SCRAM_PASSWORD_FILE'), join(dir, 'password')),
      },
      {
        name: 'an untrusted CA',
        env: (dir) => {
          copyFileSync(need('TLS_UNTRUSTED_CA_FILE'), join(dir, 'ca.crt'));
          return { ...MECHANISMS[0]!.env(), KAFKA_SSL_CA_LOCATION: join(dir, 'ca.crt') };
        },
        fix: (dir) => copyFileSync(need('TLS_CA_FILE'), join(dir, 'ca.crt')),
      },
      {
        name: 'an expired client certificate',
        env: (dir) => {
          copyFileSync(need('TLS_EXPIRED_CLIENT_CERT_FILE'), join(dir, 'client.crt'));
          copyFileSync(need('TLS_EXPIRED_CLIENT_KEY_FILE'), join(dir, 'client.key'));
          return {
            ...MECHANISMS[1]!.env(),
            KAFKA_SSL_CERTIFICATE_LOCATION: join(dir, 'client.crt'),
            KAFKA_SSL_KEY_LOCATION: join(dir, 'client.key'),
          };
        },
        fix: (dir) => {
          copyFileSync(need('TLS_CLIENT_KEY_FILE'), join(dir, 'client.key'));
          copyFileSync(need('TLS_CLIENT_CERT_FILE'), join(dir, 'client.crt'));
        },
      },
    ];

    for (const broken of BROKEN) {
      test(`${broken.name}: not ready, one error line, fast 503s; fixing the file recovers without a restart`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'security-e2e-'));
        const topic = `allowed-refused-${uid()}`;
        await createTopics([topic]);
        const security = broken.env(dir);
        let producer: Gateway | undefined;
        let consumer: Gateway | undefined;
        try {
          [producer, consumer] = await Promise.all([
            startProducer('refused', security),
            startConsumer('refused', security),
          ]);
          const gateways = [producer, consumer];
          // the first connection attempt fails and is logged; the gateway stays not ready
          await until(
            `${broken.name}: error logged`,
            () => gateways.every((g) => errorLines(g.logs).length > 0),
            20_000,
          );
          for (const g of gateways)
            assert.equal(await ready(g), false, `${g.name} must not be ready`);

          const produce = await call(producer.url, 'POST', `/topics/${topic}`, {
            contentType: 'application/vnd.kafka.binary.v2+json',
            body: { records: [{ value: b64('refused') }] },
          });
          const admin = await call(producer.url, 'GET', '/v3/clusters');
          // a consumer instance is only memory until it subscribes, which needs Kafka
          const group = `allowed-refused-${uid()}`;
          const created = await call(consumer.url, 'POST', `/consumers/${group}`, {
            body: { name: 'c1', format: 'binary', 'auto.offset.reset': 'earliest' },
          });
          assert.equal(created.status, 200, created.text);
          const instance = `/consumers/${group}/instances/c1`;
          const subscribed = await call(consumer.url, 'POST', `${instance}/subscription`, {
            body: { topics: [topic] },
          });
          const committed = await call(consumer.url, 'GET', `${instance}/offsets`, {
            body: { partitions: [{ topic, partition: 0 }] },
          });
          const answers = { produce, v3: admin, subscribe: subscribed, offsets: committed };
          timings.push(
            `${broken.name}: ${Object.entries(answers)
              .map(([what, a]) => `${what} ${a.status} in ${a.ms} ms`)
              .join(', ')}`,
          );
          for (const [what, a] of Object.entries(answers)) {
            assert.equal(a.status, 503, `${what}: ${a.text}`);
            assert.equal(errorCode(a), 50302, `${what}: ${a.text}`);
            assert.equal(a.headers['retry-after'], '1', `${what}: retriable (Retry-After)`);
            assert.ok(a.ms < REFUSED_ANSWER_MAX_MS, `${what} answered after ${a.ms} ms`);
          }

          // the clients keep retrying, but the reason is logged once
          await until(
            `${broken.name}: a second attempt of every gateway`,
            () =>
              gateways.every((g) => g.logs.some((l) => l.includes('Kafka still not reachable'))),
            30_000,
          );
          for (const g of gateways) {
            const errors = errorLines(g.logs);
            assert.equal(
              errors.length,
              1,
              `${g.name}: exactly one error line:\n${errors.join('\n')}`,
            );
            assert.match(errors[0]!, /cannot connect to Kafka/);
            assert.equal(await ready(g), false, `${g.name} must not be ready`);
          }

          broken.fix(dir);
          const fixedAt = Date.now();
          await until(
            `${broken.name}: ready after the fix`,
            async () => (await ready(producer!)) && (await ready(consumer!)),
            30_000,
          );
          timings.push(`${broken.name}: ready again ${Date.now() - fixedAt} ms after the fix`);
          const ok = await call(producer.url, 'POST', `/topics/${topic}`, {
            contentType: 'application/vnd.kafka.binary.v2+json',
            body: { records: [{ value: b64('fixed') }] },
          });
          assert.equal(ok.status, 200, ok.text);
          assert.equal(
            (ok.body as { offsets: { error_code: number | null }[] }).offsets[0]!.error_code,
            null,
          );
          assert.equal(
            await recordCount(topic),
            1,
            'only the record produced after the fix is there',
          );
          const resubscribed = await call(consumer.url, 'POST', `${instance}/subscription`, {
            body: { topics: [topic] },
          });
          assert.equal(resubscribed.status, 204, resubscribed.text);
          const got: unknown[] = [];
          const deadline = Date.now() + 20_000;
          while (got.length < 1 && Date.now() < deadline) {
            const r = await call(consumer.url, 'GET', `${instance}/records?timeout=1000`, {
              accept: 'application/vnd.kafka.binary.v2+json',
            });
            assert.equal(r.status, 200, r.text);
            got.push(...(r.body as unknown[]));
          }
          assert.deepEqual(
            got.map((r) => (r as { value: string }).value),
            [b64('fixed')],
          );
          assert.equal((await call(consumer.url, 'DELETE', instance)).status, 204);
        } finally {
          await Promise.all([stop(producer), stop(consumer)]);
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    // ---- no secret anywhere -----------------------------------------------------------------
    test('no secret in any log line, error body or /metrics page of the suite', (t) => {
      for (const line of timings) t.diagnostic(line);
      const secrets: [string, string][] = [
        ['SCRAM password', readFileSync(need('KAFKA_SCRAM_PASSWORD_FILE'), 'utf8').trim()],
        ['PLAIN password', readFileSync(need('KAFKA_PLAIN_PASSWORD_FILE'), 'utf8').trim()],
        ['OAuth client secret', readFileSync(need('OAUTH_CLIENT_SECRET_FILE'), 'utf8').trim()],
      ];
      for (const [what, value] of [...secrets]) {
        assert.ok(value.length >= 8, `${what} looks too short to be searched for`);
        // the OAuth client authentication header's base64, and the secrets' own base64
        secrets.push([
          `${what} (base64)`,
          Buffer.from(value).toString('base64').replace(/=+$/, ''),
        ]);
      }
      secrets.push([
        'OAuth Basic credentials',
        Buffer.from(
          `${need('OAUTH_CLIENT_ID')}:${readFileSync(need('OAUTH_CLIENT_SECRET_FILE'), 'utf8').trim()}`,
        )
          .toString('base64')
          .replace(/=+$/, ''),
      ]);
      assert.ok(seenLogs.length > 100, `the logs were captured (${seenLogs.length} lines)`);
      assert.ok(
        seenLogs.some((l) => l.includes('"component":"kafkajs"')),
        'kafkajs lines are among them',
      );
      assert.ok(
        seenMetrics.length >= 2 * (MECHANISMS.length + BROKEN.length),
        'metrics pages kept',
      );
      const places: [string, string[]][] = [
        ['logs', seenLogs],
        ['error bodies', seenBodies],
        ['/metrics', seenMetrics],
      ];
      const jwt = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}/;
      for (const [where, texts] of places) {
        for (const text of texts) {
          for (const [what, value] of secrets)
            assert.ok(!text.includes(value), `${what} in ${where}: ${text.slice(0, 300)}`);
          assert.ok(!jwt.test(text), `an OAuth token (JWT) in ${where}: ${text.slice(0, 300)}`);
        }
      }
    });
  },
);
