import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { RunningGateway } from '@kafka-gateway/server-kit';
import {
  freePort,
  gatewayMain,
  type GatewayProcess,
  spawnGateway,
  waitFor,
} from '@kafka-gateway/server-kit/testing';
import { independentKafka } from '../kafka/independent-client.test-support';
import { startInProcessReplica } from '../routing/replica.test-support';

// One trace from HTTP produce through the Kafka record into an HTTP fetch, as a tracing backend
// sees it: an OTLP/HTTP receiver in this process collects what a producer gateway (a child
// process) and two consumer replicas (in this process, ownership in Redis) export. The fetch goes
// to the replica that does not own the instance, so it is forwarded.
const brokers = process.env['KAFKA_BROKERS'];
const redisUrl = process.env['REDIS_URL'];
const skip =
  brokers === undefined || redisUrl === undefined
    ? 'needs the stack (KAFKA_BROKERS and REDIS_URL from .run/stack/stack.env)'
    : false;

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const TOKEN = randomUUID() + randomUUID();
const CLIENT_TRACE = randomBytes(16).toString('hex');
const CLIENT_SPAN = randomBytes(8).toString('hex');
const CLIENT_PARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

/** OTLP span kinds (SPAN_KIND_*). */
const KIND = { server: 2, producer: 4, consumer: 5 } as const;

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
}

/** OTLP/JSON ids are hex; accept base64 too (the protobuf-JSON mapping some senders use). */
const hexId = (id: unknown): string => {
  if (typeof id !== 'string' || id === '') return '';
  return /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex');
};

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
}
interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: { traceId: string; spanId: string }[];
  attributes?: OtlpKeyValue[];
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? v.intValue ?? v.boolValue;

const spans: Span[] = [];
const contentTypes = new Set<string>();

/** A plain OTLP/HTTP traces receiver (JSON encoding) that keeps every span. */
function receiver(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      contentTypes.add(String(req.headers['content-type']));
      if (req.url === '/v1/traces') {
        const data = JSON.parse(body.toString('utf8')) as OtlpExport;
        for (const rs of data.resourceSpans) {
          const name = rs.resource.attributes.find((a) => a.key === 'service.name');
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              spans.push({
                service: String(name === undefined ? '' : valueOf(name.value)),
                traceId: hexId(s.traceId),
                spanId: hexId(s.spanId),
                parentSpanId: hexId(s.parentSpanId),
                name: s.name,
                kind: s.kind,
                links: (s.links ?? []).map((l) => ({
                  traceId: hexId(l.traceId),
                  spanId: hexId(l.spanId),
                })),
                attributes: Object.fromEntries(
                  (s.attributes ?? []).map((a) => [a.key, valueOf(a.value)]),
                ),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
}

/** Tracing pointed at the receiver (spans arrive within the batch processor's 5 s delay). */
const tracingEnv = (otlp: string): Record<string, string> => ({
  TRACING_ENABLED: 'true',
  OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
});

let otlpServer: Server | undefined;
let producer: GatewayProcess | undefined;
let producerUrl = '';
const gateways: RunningGateway[] = [];
const replicaUrls: string[] = [];

async function startProducer(otlp: string): Promise<void> {
  producer = await spawnGateway(gatewayMain('producer-gateway'), {
    KAFKA_BROKERS: brokers,
    LOG_LEVEL: 'error',
    ...tracingEnv(otlp),
    OTEL_SERVICE_NAME: 'producer-under-test',
  });
  producerUrl = producer.url;
}

async function startReplica(index: number, otlp: string): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  gateways.push(
    await startInProcessReplica(`consumer-gateway-${index}`, {
      KAFKA_BROKERS: brokers,
      HTTP_PORT: String(port),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `tracing-int-${TOKEN.slice(0, 8)}:`,
      INTERNAL_TOKEN: TOKEN,
      INTERNAL_URL: url,
      REPLICA_ID: `tracing-${index}-${TOKEN.slice(0, 6)}`,
      HTTP_PUBLIC_BASE_URL: url,
      ...tracingEnv(otlp),
      OTEL_SERVICE_NAME: `consumer-replica-${index}`,
    }),
  );
  replicaUrls[index] = url;
}

before(async () => {
  if (skip !== false) return;
  otlpServer = receiver();
  await new Promise<void>((r) => otlpServer!.listen(0, '127.0.0.1', () => r()));
  const otlp = `http://127.0.0.1:${(otlpServer.address() as { port: number }).port}`;
  await Promise.all([startProducer(otlp), startReplica(0, otlp), startReplica(1, otlp)]);
});

after(async () => {
  await Promise.all(gateways.map((g) => g.shutdown('test end')));
  await producer?.stop();
  otlpServer?.close();
});

async function createTopic(): Promise<string> {
  const topic = `tracing-int-${randomUUID().slice(0, 8)}`;
  const admin = independentKafka(brokers!).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

/** The headers of the topic's first record, read back with an independent client. */
async function firstRecordHeaders(topic: string): Promise<Record<string, string>> {
  const consumer = independentKafka(brokers!).consumer({ groupId: `read-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const headers = await new Promise<Record<string, string>>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) out[k] = String(v);
        resolve(out);
      },
    });
  });
  await consumer.disconnect();
  return headers;
}

async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': V2 }),
      accept: V2,
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

test(
  'one trace: HTTP produce (client traceparent) → record header → forwarded HTTP fetch linked to the produce span',
  { skip, timeout: 180_000 },
  async () => {
    const topic = await createTopic();
    const produced = await call(
      `${producerUrl}/topics/${topic}`,
      'POST',
      { records: [{ value: Buffer.from('traced').toString('base64') }] },
      { 'content-type': BINARY, traceparent: CLIENT_PARENT },
    );
    assert.equal(produced.status, 200, JSON.stringify(produced.body));

    // the record carries the produce span's context, in the client's trace
    const headers = await firstRecordHeaders(topic);
    const recordParent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(headers['traceparent'] ?? '');
    assert.ok(recordParent !== null, `record headers: ${JSON.stringify(headers)}`);
    assert.equal(recordParent[1], CLIENT_TRACE, "the record's trace is the client's");
    const recordSpanId = recordParent[2]!;

    // the instance lives on replica 0; every fetch goes to replica 1 and is forwarded
    const [owner, edge] = replicaUrls as [string, string];
    const group = `tracing-int-${randomUUID().slice(0, 8)}`;
    const created = await call(`${owner}/consumers/${group}`, 'POST', {
      name: 'c1',
      format: 'binary',
      'auto.offset.reset': 'earliest',
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const path = `/consumers/${group}/instances/c1`;
    const subscribed = await call(`${owner}${path}/subscription`, 'POST', { topics: [topic] });
    assert.equal(subscribed.status, 204, JSON.stringify(subscribed.body));
    let fetched: { value: string }[] = [];
    await waitFor('records through the forwarding replica', async () => {
      const r = await call(`${edge}${path}/records?timeout=1000`, 'GET', undefined, {
        accept: BINARY,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      fetched = r.body as { value: string }[];
      return fetched.length > 0;
    });
    assert.equal(Buffer.from(fetched[0]!.value, 'base64').toString(), 'traced');
    assert.equal((await call(`${owner}${path}`, 'DELETE')).status, 204);

    // the consumer span of the fetch that returned the record links the produce span
    let fetchSpan: Span | undefined;
    await waitFor(
      'the exported spans',
      async () => {
        fetchSpan = spans.find(
          (s) => s.kind === KIND.consumer && s.links.some((l) => l.spanId === recordSpanId),
        );
        return (
          fetchSpan !== undefined &&
          spans.some((s) => s.spanId === recordSpanId) &&
          spans.some((s) => s.spanId === fetchSpan!.parentSpanId) &&
          spans.some((s) => s.service === 'consumer-replica-1')
        );
      },
      30_000,
    );
    assert.ok(contentTypes.has('application/json'), [...contentTypes].join());

    // produce side: client → server span (route template) → producer span → record header
    const produceSpan = spans.find((s) => s.spanId === recordSpanId)!;
    assert.equal(produceSpan.kind, KIND.producer);
    assert.equal(produceSpan.service, 'producer-under-test');
    assert.equal(produceSpan.traceId, CLIENT_TRACE);
    const produceServer = spans.find((s) => s.spanId === produceSpan.parentSpanId)!;
    assert.equal(produceServer.kind, KIND.server);
    assert.equal(produceServer.name, 'POST /topics/:topic');
    assert.equal(produceServer.parentSpanId, CLIENT_SPAN, "a child of the client's span");
    assert.equal(produceServer.attributes['http.response.status_code'], 200);
    assert.equal(produceServer.attributes['messaging.destination.name'], topic);

    // fetch side: the link points at the produce span in the client's trace
    const link = fetchSpan!.links.find((l) => l.spanId === recordSpanId)!;
    assert.equal(link.traceId, CLIENT_TRACE);
    assert.equal(fetchSpan!.service, 'consumer-replica-0', 'the owner fetched');
    const ownerServer = spans.find((s) => s.spanId === fetchSpan!.parentSpanId)!;
    assert.equal(ownerServer.kind, KIND.server);
    assert.equal(ownerServer.service, 'consumer-replica-0');
    assert.equal(ownerServer.name, 'GET /consumers/:group/instances/:instance/records');

    // forwarding: the owner's server span is a child of the edge replica's
    const edgeServer = spans.find((s) => s.spanId === ownerServer.parentSpanId);
    assert.ok(edgeServer !== undefined, "the owner's span has the edge's span as parent");
    assert.equal(edgeServer.service, 'consumer-replica-1');
    assert.equal(edgeServer.kind, KIND.server);
    assert.equal(edgeServer.traceId, ownerServer.traceId);
  },
);
