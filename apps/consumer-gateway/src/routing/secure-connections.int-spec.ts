import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { RunningGateway } from '@kafka-gateway/server-kit';
import {
  freePort,
  gatewayMain,
  type GatewayProcess,
  secureStackSettings,
  spawnGateway,
  waitFor,
} from '@kafka-gateway/server-kit/testing';
import { independentKafka } from '../kafka/independent-client.test-support';
import { startInProcessReplica } from './replica.test-support';

// Every secured connection of the gateways against the secure stack (`infra/stack up --secure`):
// the registry over HTTPS with the stack CA (and refused with an unrelated CA), Redis over TLS
// as the ACL user, consumer gateways listening on HTTPS with client certificates required,
// forwarding between them over HTTPS, and a certificate rotated under a running listener. Only
// what security.env lists is used; without a secure stack the suite is skipped.
const brokers = process.env['KAFKA_BROKERS'];

const secure = secureStackSettings(process.env, { brokers: true });
const skip = secure.skip;
const s = (name: string): string => secure.get(name);

const V2 = 'application/vnd.kafka.v2+json';
const AVRO = 'application/vnd.kafka.avro.v2+json';
const TOKEN = randomUUID() + randomUUID();
const SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'qty', type: 'int' },
  ],
});

interface Answer {
  status: number;
  body: unknown;
}

/** One HTTPS exchange presenting the stack's client certificate. */
function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(
      url,
      {
        method,
        ca: readFileSync(s('TLS_CA_FILE')),
        cert: readFileSync(s('TLS_CLIENT_CERT_FILE')),
        key: readFileSync(s('TLS_CLIENT_KEY_FILE')),
        agent: false,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': V2 }),
          accept: V2,
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
            body: text === '' ? undefined : JSON.parse(text),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The serial number of the certificate a TLS server presents. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(s('TLS_CA_FILE')),
      cert: readFileSync(s('TLS_CLIENT_CERT_FILE')),
      key: readFileSync(s('TLS_CLIENT_KEY_FILE')),
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.once('error', reject);
  });
}

const work = skip === false ? mkdtempSync(join(tmpdir(), 'secure-connections-')) : '';
const producers: GatewayProcess[] = [];
const gateways: RunningGateway[] = [];
let producerUrl = '';
let untrustedProducerUrl = '';
const replicaUrls: string[] = [];
const replicaPorts: number[] = [];

async function startProducer(caFile: string): Promise<string> {
  const producer = await spawnGateway(gatewayMain('producer-gateway'), {
    KAFKA_BROKERS: brokers,
    SCHEMA_REGISTRY_URL: s('SCHEMA_REGISTRY_HTTPS_URL'),
    SCHEMA_REGISTRY_SSL_CA_LOCATION: caFile,
    LOG_LEVEL: 'error',
  });
  producers.push(producer);
  return producer.url;
}

async function startReplica(index: number, port: number, certDir: string): Promise<void> {
  const url = `https://127.0.0.1:${port}`;
  gateways.push(
    await startInProcessReplica(`consumer-gateway-${index}`, {
      KAFKA_BROKERS: brokers,
      HTTP_PORT: String(port),
      HTTP_TLS_CERT_FILE: join(certDir, 'gateway.crt'),
      HTTP_TLS_KEY_FILE: join(certDir, 'gateway.key'),
      HTTP_TLS_CLIENT_CA_FILE: s('TLS_CA_FILE'),
      SCHEMA_REGISTRY_URL: s('SCHEMA_REGISTRY_HTTPS_URL'),
      SCHEMA_REGISTRY_SSL_CA_LOCATION: s('TLS_CA_FILE'),
      REDIS_URL: s('REDIS_TLS_URL'),
      REDIS_SSL_CA_LOCATION: s('TLS_CA_FILE'),
      REDIS_USERNAME: s('REDIS_TLS_USERNAME'),
      REDIS_PASSWORD_FILE: s('REDIS_TLS_PASSWORD_FILE'),
      REDIS_KEY_PREFIX: `secure-int-${TOKEN.slice(0, 8)}:`,
      INTERNAL_TOKEN: TOKEN,
      INTERNAL_URL: url,
      INTERNAL_TLS_CA_FILE: s('TLS_CA_FILE'),
      INTERNAL_TLS_CERT_FILE: s('TLS_CLIENT_CERT_FILE'),
      INTERNAL_TLS_KEY_FILE: s('TLS_CLIENT_KEY_FILE'),
      REPLICA_ID: `secure-${index}-${TOKEN.slice(0, 6)}`,
      HTTP_PUBLIC_BASE_URL: url,
    }),
  );
  replicaUrls[index] = url;
  replicaPorts[index] = port;
}

before(async () => {
  if (skip !== false) return;
  // each replica serves its own copy of the gateway certificate, so rotating one touches no
  // file of the stack
  for (const i of [0, 1]) {
    const dir = join(work, `replica-${i}`);
    execFileSync('mkdir', ['-p', dir]);
    copyFileSync(s('GATEWAY_HTTPS_CERT_FILE'), join(dir, 'gateway.crt'));
    copyFileSync(s('GATEWAY_HTTPS_KEY_FILE'), join(dir, 'gateway.key'));
  }
  const ports = [await freePort(), await freePort()];
  [producerUrl, untrustedProducerUrl] = await Promise.all([
    startProducer(s('TLS_CA_FILE')),
    startProducer(s('TLS_UNTRUSTED_CA_FILE')),
    startReplica(0, ports[0]!, join(work, 'replica-0')),
    startReplica(1, ports[1]!, join(work, 'replica-1')),
  ]);
});

after(async () => {
  await Promise.all(gateways.map((g) => g.shutdown('test end')));
  await Promise.all(producers.map((p) => p.stop()));
});

async function createTopic(): Promise<string> {
  const topic = `secure-int-${randomUUID().slice(0, 8)}`;
  const admin = independentKafka(brokers!).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

async function produceAvro(base: string, topic: string, value: unknown): Promise<Answer> {
  const res = await fetch(`${base}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': AVRO, accept: V2 },
    body: JSON.stringify({ value_schema: SCHEMA, records: [{ value }] }),
  });
  return { status: res.status, body: await res.json() };
}

test(
  'avro through the HTTPS registry (stack CA): produced, then consumed on one replica via the other over HTTPS, ownership in Redis over TLS as the ACL user',
  { skip },
  async () => {
    const topic = await createTopic();
    const produced = await produceAvro(producerUrl, topic, { id: 'o-1', qty: 3 });
    assert.equal(produced.status, 200, JSON.stringify(produced.body));
    const offsets = produced.body as {
      offsets: { error_code?: number }[];
      value_schema_id: number;
    };
    assert.equal(offsets.offsets[0]?.error_code ?? null, null);
    assert.ok(offsets.value_schema_id > 0);

    const [a, b] = replicaUrls as [string, string];
    const group = `secure-int-${randomUUID().slice(0, 8)}`;
    const created = await call(`${a}/consumers/${group}`, 'POST', {
      name: 'c1',
      format: 'avro',
      'auto.offset.reset': 'earliest',
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    // every further request goes to replica b, which does not hold the instance: forwarded
    const path = `/consumers/${group}/instances/c1`;
    const subscribed = await call(`${b}${path}/subscription`, 'POST', { topics: [topic] });
    assert.equal(subscribed.status, 204, JSON.stringify(subscribed.body));
    let records: { value: unknown }[] = [];
    await waitFor('records through the forwarding replica', async () => {
      const r = await call(`${b}${path}/records?timeout=1000`, 'GET', undefined, { accept: AVRO });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      records = r.body as { value: unknown }[];
      return records.length > 0;
    });
    assert.deepEqual(records[0]?.value, { id: 'o-1', qty: 3 });
    assert.equal((await call(`${b}${path}`, 'DELETE')).status, 204);
  },
);

test(
  'an untrusted registry certificate is a Confluent error at once, not a hang',
  { skip },
  async () => {
    const topic = await createTopic();
    const started = Date.now();
    const r = await produceAvro(untrustedProducerUrl, topic, { id: 'o-2', qty: 1 });
    const took = Date.now() - started;
    assert.equal(r.status, 408, JSON.stringify(r.body));
    const body = r.body as { error_code: number; message: string };
    assert.equal(body.error_code, 40801);
    assert.match(body.message, /Schema Registry unavailable \(TLS: /);
    assert.ok(took < 3000, `took ${took} ms (a certificate error is not retried)`);
  },
);

/** curl, asynchronously: the gateway answering it runs in this process. */
function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-s', '-S', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', ...args],
      (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : Number(err.code ?? 1), stdout, stderr }),
    );
  });
}

test(
  'HTTPS listener: curl with the stack CA and a client certificate works; without one (or with a foreign one) the TLS handshake is refused',
  { skip },
  async () => {
    const url = `${replicaUrls[0]}/consumers/nobody/instances/nothing/subscription`;
    const client = ['--cert', s('TLS_CLIENT_CERT_FILE'), '--key', s('TLS_CLIENT_KEY_FILE')];
    const ok = await curl(['--cacert', s('TLS_CA_FILE'), ...client, url]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '404');
    const refused = await curl(['--cacert', s('TLS_CA_FILE'), url]);
    assert.notEqual(refused.code, 0, 'curl without a client certificate must fail');
    assert.equal(refused.stdout, '000', 'no HTTP answer at all');
    assert.match(refused.stderr, /certificate|alert|handshake|SSL|reset/i);
    const foreign = await curl([
      '--cacert',
      s('TLS_CA_FILE'),
      '--cert',
      s('TLS_UNTRUSTED_CLIENT_CERT_FILE'),
      '--key',
      s('TLS_UNTRUSTED_CLIENT_KEY_FILE'),
      url,
    ]);
    assert.notEqual(foreign.code, 0, 'a certificate from another CA must fail');
    assert.equal(foreign.stdout, '000');
  },
);

test('a rotated certificate is served without a restart', { skip }, async () => {
  const port = replicaPorts[1]!;
  const dir = join(work, 'replica-1');
  const before = await servedSerial(port);
  const secureDir = s('STACK_SECURE_DIR');
  const serial = `0x${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const ext = join(work, 'san.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  execFileSync('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    join(work, 'new.key'),
  ]);
  execFileSync('openssl', [
    'req',
    '-new',
    '-key',
    join(work, 'new.key'),
    '-subj',
    '/CN=localhost/O=rotated',
    '-out',
    join(work, 'new.csr'),
  ]);
  execFileSync('openssl', [
    'x509',
    '-req',
    '-in',
    join(work, 'new.csr'),
    '-CA',
    join(secureDir, 'ca.crt'),
    '-CAkey',
    join(secureDir, 'ca.key'),
    '-set_serial',
    serial,
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    join(work, 'new.crt'),
  ]);
  // the certificate first, then its key: in between the pair does not match and the old one
  // must stay in use
  writeFileSync(join(dir, 'gateway.crt'), readFileSync(join(work, 'new.crt')));
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await servedSerial(port), before, 'a half-written pair is not installed');
  writeFileSync(join(dir, 'gateway.key'), readFileSync(join(work, 'new.key')));
  const expected = BigInt(serial).toString(16).toUpperCase();
  await waitFor(
    'the rotated certificate',
    async () => (await servedSerial(port)).replace(/^0+/, '') === expected,
    15_000,
  );
  // and requests keep working on the same listener
  const r = await call(`${replicaUrls[1]}/consumers/nobody/instances/nothing/subscription`, 'GET');
  assert.equal(r.status, 404);
});
