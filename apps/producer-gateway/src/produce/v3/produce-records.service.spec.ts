import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { SchemaSerde } from '@kafka-gateway/codec';
import {
  ErrorResponder,
  MetricsService,
  Secret,
  TraceService,
  toErrorResponse,
} from '@kafka-gateway/server-kit';
import type { Request, Response } from 'express';
import pino from 'pino';
import { loadProducerConfig } from '../../config/producer.config';
import type {
  KafkaProducerService,
  OutgoingRecord,
  ProduceCaller,
  RecordOutcome,
} from '../../kafka/kafka-producer.service';
import type { PartitionInfo, TopicMetadataService } from '../../kafka/topic-metadata.service';
import { ProduceMetrics } from '../produce-metrics';
import { ProduceOutcomes } from '../produce-outcomes';
import { ProduceRecordsService } from './produce-records.service';
import type { ResultEntry } from './streaming-produce';

/** Topic metadata with a fixed partition count per topic; `delayMs` slows chosen lookups. */
class FakeMetadata implements Pick<
  TopicMetadataService,
  'cachedPartitions' | 'invalidate' | 'isDenied'
> {
  /** Topics that exist but the ACLs hide from the gateway. */
  readonly denied = new Set<string>();
  lookups = 0;
  delayMs: (lookup: number) => number = () => 0;
  constructor(private readonly topics: Record<string, number>) {}
  async cachedPartitions(topic: string): Promise<readonly PartitionInfo[] | undefined> {
    const delay = this.delayMs(this.lookups++);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const n = this.topics[topic];
    if (n === undefined) return undefined;
    return Array.from({ length: n }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
    }));
  }
  invalidate(): void {}
  async isDenied(topic: string): Promise<boolean> {
    return this.denied.has(topic);
  }
}

/** The batching producer: a log end offset per partition; `refuse` fails chosen records. */
class FakeProducer implements Pick<
  KafkaProducerService,
  'isConnected' | 'choosePartition' | 'produce' | 'callerOf'
> {
  connected = true;
  caller: ProduceCaller | undefined = undefined;
  readonly callers: (ProduceCaller | undefined)[] = [];
  callerOf(): ProduceCaller | undefined {
    return this.caller;
  }
  readonly sent: OutgoingRecord[] = [];
  refuse: (r: OutgoingRecord) => unknown = () => undefined;
  private readonly ends = new Map<number, number>();
  isConnected(): boolean {
    return this.connected;
  }
  choosePartition(): number {
    return 0;
  }
  async produce(
    _topic: string,
    records: readonly OutgoingRecord[],
    caller?: ProduceCaller,
  ): Promise<RecordOutcome[]> {
    this.callers.push(caller);
    this.sent.push(...records);
    return records.map((r) => {
      const error = this.refuse(r);
      if (error !== undefined) return { error };
      const offset = this.ends.get(r.partition) ?? 0;
      this.ends.set(r.partition, offset + 1);
      return { partition: r.partition, offset };
    });
  }
  values(): string[] {
    return this.sent.map((r) => r.value?.toString() ?? 'null');
  }
}

/** The request side: a readable body with the headers express would have parsed. */
/** `contentType` null: the request has no Content-Type header. */
function request(body: string[], contentType: string | null): Request {
  const stream = new Readable({ read() {} });
  for (const chunk of body) stream.push(Buffer.from(chunk));
  stream.push(null);
  const url = '/v3/clusters/c1/topics/t/records';
  return Object.assign(stream, {
    headers: contentType === null ? {} : { 'content-type': contentType },
    method: 'POST',
    url,
    originalUrl: url,
    path: url,
  }) as unknown as Request;
}

/** The response side: records the head and the streamed body. */
class FakeResponse extends Writable {
  status: number | undefined;
  head: Record<string, string> = {};
  headersSent = false;
  body = '';
  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.head = headers;
    this.headersSent = true;
    return this;
  }
  flushHeaders(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.body += chunk.toString();
    done();
  }
  lines(): ResultEntry[] {
    return this.body
      .split('\r\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ResultEntry);
  }
}

function setup(
  topics: Record<string, number> = { t: 2 },
  tracing = new TraceService(undefined, 'producer-gateway'),
) {
  const metadata = new FakeMetadata(topics);
  const producer = new FakeProducer();
  const metrics = new MetricsService('producer-gateway');
  const outcomes = new ProduceOutcomes(
    producer as unknown as KafkaProducerService,
    metadata as unknown as TopicMetadataService,
    new ProduceMetrics(metrics),
    tracing,
  );
  const service = new ProduceRecordsService(
    metadata as unknown as TopicMetadataService,
    producer as unknown as KafkaProducerService,
    outcomes,
    new SchemaSerde(undefined),
    new ErrorResponder(pino({ enabled: false }), metrics),
    loadProducerConfig({}),
  );
  const produce = async (
    body: string[],
    contentType: string | null = 'application/json',
    res = new FakeResponse(),
  ): Promise<FakeResponse> => {
    await service.produce('c1', 't', request(body, contentType), res as unknown as Response);
    return res;
  };
  return { produce, metadata, producer, metrics };
}

const json = (o: unknown): string => JSON.stringify(o);
const T0 = '2024-05-01T10:00:00.000Z';

test('every record gets a success line, in input order, with its partition, offset and sizes', async () => {
  const { produce, producer } = setup();
  const res = await produce([
    json({ value: { type: 'STRING', data: 'hello' }, timestamp: T0 }),
    json({
      partition_id: 1,
      key: { type: 'JSON', data: { id: 7 } },
      value: { type: 'BINARY', data: Buffer.from('xyz').toString('base64') },
      headers: [{ name: 'h', value: Buffer.from('1').toString('base64') }],
      timestamp: T0,
    }) + json({ value: { type: 'STRING', data: 'again' }, timestamp: T0 }),
  ]);
  assert.equal(res.status, 200);
  assert.equal(res.head['Content-Type'], 'application/json');
  assert.ok(res.writableEnded, 'the response was ended');
  const base = { error_code: 200, cluster_id: 'c1', topic_name: 't', timestamp: T0 };
  assert.deepEqual(res.lines(), [
    { ...base, partition_id: 0, offset: 0, value: { type: 'STRING', size: 5 } },
    {
      ...base,
      partition_id: 1,
      offset: 0,
      key: { type: 'JSON', size: 8 },
      value: { type: 'BINARY', size: 3 },
    },
    { ...base, partition_id: 0, offset: 1, value: { type: 'STRING', size: 5 } },
  ]);
  assert.deepEqual(producer.values(), ['hello', 'xyz', 'again']);
  assert.equal(producer.sent[1]!.key?.toString(), '{"id":7}');
  assert.equal(producer.sent[1]!.headers?.['h']?.[0]?.toString(), '1');
  assert.equal(producer.sent[0]!.timestamp, String(Date.parse(T0)));
});

test('a failing record gets its own error line; the records around it are written', async () => {
  const { produce, producer, metrics } = setup();
  producer.refuse = (r) =>
    r.value?.toString() === 'secret'
      ? Object.assign(new Error('Not authorized to access topics: [t]'), {
          type: 'TOPIC_AUTHORIZATION_FAILED',
        })
      : undefined;
  const res = await produce([
    json({ value: { type: 'STRING', data: 'a' } }),
    json({ partition_id: 2, value: { type: 'STRING', data: 'b' } }),
    json({ value: { type: 'STRING', data: 'secret' } }),
    json({ nope: 1 }),
    json({ value: { type: 'STRING', data: 'c' } }),
  ]);
  const lines = res.lines();
  assert.deepEqual(
    lines.map((l) => l.error_code),
    [200, 40402, 40301, 400, 200],
  );
  assert.equal(lines[1]!.message, 'Partition 2 not found.');
  assert.deepEqual([lines[0]!.offset, lines[4]!.offset], [0, 1]);
  assert.deepEqual(producer.values(), ['a', 'secret', 'c'], 'refused records never reach Kafka');
  const { body } = await metrics.render();
  const counted = body.split('\n').filter((l) => l.startsWith('kafka_gateway_errors_total{'));
  const count = (code: string): string[] =>
    counted.filter((l) => l.includes(`error_code="${code}"`)).map((l) => l.split(' ')[1]!);
  assert.deepEqual(count('40301'), ['1']);
  // failures met while a record is prepared are counted like Kafka's own (as v2 does)
  assert.deepEqual(count('40402'), ['1']);
  assert.deepEqual(count('400'), ['1']);
});

test('records reach the producer in input order even when an earlier one is prepared later', async () => {
  const { produce, producer, metadata } = setup();
  metadata.delayMs = (lookup) => (lookup === 0 ? 40 : 0);
  const res = await produce([
    json({ value: { type: 'STRING', data: 'first' } }),
    json({ value: { type: 'STRING', data: 'second' } }),
    json({ value: { type: 'STRING', data: 'third' } }),
  ]);
  assert.deepEqual(producer.values(), ['first', 'second', 'third']);
  assert.deepEqual(
    res.lines().map((l) => l.offset),
    [0, 1, 2],
  );
});

test('an unknown topic answers 40401 on every record line and sends nothing', async () => {
  const { produce, producer } = setup({ other: 1 });
  const res = await produce([
    json({ value: { type: 'STRING', data: 'a' } }),
    json({ value: { type: 'STRING', data: 'b' } }),
  ]);
  assert.deepEqual(res.lines(), [
    { error_code: 40401, message: 'Topic t not present in metadata.' },
    { error_code: 40401, message: 'Topic t not present in metadata.' },
  ]);
  assert.equal(producer.sent.length, 0);
});

test('Kafka not connected: every record line is 50302 and nothing is queued', async () => {
  const { produce, producer } = setup();
  producer.connected = false;
  const res = await produce([json({ value: { type: 'STRING', data: 'a' } })]);
  assert.deepEqual(
    res.lines().map((l) => l.error_code),
    [50302],
  );
  assert.equal(producer.sent.length, 0);
});

test('a body that is not application/json is refused with 415 before anything is written', async () => {
  const { produce, producer } = setup();
  const res = new FakeResponse();
  await assert.rejects(
    produce([json({ value: { type: 'STRING', data: 'a' } })], 'text/plain', res),
    (e: unknown) => toErrorResponse(e).status === 415 && toErrorResponse(e).body.error_code === 415,
  );
  assert.equal(res.status, undefined);
  assert.equal(res.body, '');
  assert.equal(producer.sent.length, 0);
  // a missing Content-Type reads as JSON
  const ok = await produce([json({ value: { type: 'STRING', data: 'a' } })], null);
  assert.deepEqual(
    ok.lines().map((l) => l.error_code),
    [200],
  );
});

test('an empty body is 422/42206 (Payload error), with no output', async () => {
  const { produce } = setup();
  const res = new FakeResponse();
  await assert.rejects(produce([], 'application/json', res), (e: unknown) => {
    const r = toErrorResponse(e);
    return r.status === 422 && r.body.error_code === 42206;
  });
  assert.equal(res.status, undefined);
});

test('a record nested deeper than HTTP_MAX_JSON_DEPTH ends the stream with a 400 line, not a 500', async () => {
  const { produce, producer } = setup();
  const deep = `{"value":{"type":"JSON","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
  const res = await produce([json({ value: { type: 'STRING', data: 'first' } }), deep]);
  const lines = res.lines();
  assert.deepEqual(
    lines.map((l) => l.error_code),
    [200, 400],
  );
  assert.match(String(lines[1]!.message), /nested deeper than 1000/);
  assert.deepEqual(producer.values(), ['first']);
});

test('a record refused while an earlier one is still being prepared is no unhandled rejection', async () => {
  const { produce, metadata } = setup();
  metadata.delayMs = (lookup) => (lookup === 0 ? 40 : 0);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const res = await produce([
      json({ value: { type: 'STRING', data: 'slow' } }),
      json({ partition_id: 9, value: { type: 'STRING', data: 'refused' } }),
    ]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      res.lines().map((l) => l.error_code),
      [200, 40402],
    );
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});

test('a topic the ACLs hide: every line 40301, nothing sent', async () => {
  const { produce, producer, metadata } = setup({});
  metadata.denied.add('t');
  const res = await produce([json({ value: { type: 'STRING', data: 'no' } })]);
  assert.deepEqual(
    res.lines().map((l) => l.error_code),
    [40301],
  );
  assert.equal(producer.sent.length, 0);
});

test('principal propagation: every streamed record is sent as the caller callerOf names', async () => {
  const { produce, producer } = setup();
  const caller: ProduceCaller = {
    principal: { name: 'svc', groups: [], mechanism: 'jwt' },
    credential: { kind: 'bearer', token: Secret.of('t0k3n'), expiresAtMs: Date.now() + 60_000 },
  };
  producer.caller = caller;
  const res = await produce([
    json({ value: { type: 'STRING', data: 'a' } }) + json({ value: { type: 'STRING', data: 'b' } }),
  ]);
  assert.equal(res.status, 200);
  assert.ok(producer.callers.length > 0);
  assert.ok(producer.callers.every((c) => c === caller));
  assert.deepEqual(producer.values(), ['a', 'b']);
});

/** Tracing on with an exporter that drops spans (what it exports is tested in server-kit). */
function tracingOn(recordHeaders = true): TraceService {
  const config = loadProducerConfig({
    TRACING_ENABLED: 'true',
    TRACING_RECORD_HEADERS: String(recordHeaders),
  }).tracing;
  return new TraceService(config, 'producer-gateway', {
    export: (_spans, done) => done({ code: 0 }),
    shutdown: async () => undefined,
  });
}

const W3C_TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;
const CLIENT_PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

test('tracing on: each record carries a traceparent; a client-set traceparent is kept', async () => {
  const { produce, producer } = setup({ t: 2 }, tracingOn());
  const res = await produce([
    json({ value: { type: 'STRING', data: 'a' } }) +
      json({
        value: { type: 'STRING', data: 'b' },
        headers: [{ name: 'traceparent', value: Buffer.from(CLIENT_PARENT).toString('base64') }],
      }),
  ]);
  assert.equal(res.status, 200);
  const [first, second] = producer.sent;
  const injected = first!.headers?.['traceparent'];
  assert.equal(injected?.length, 1);
  assert.match(injected[0]!.toString(), W3C_TRACEPARENT);
  assert.deepEqual(
    second!.headers?.['traceparent']?.map((b) => b.toString()),
    [CLIENT_PARENT],
    "the client's own context is neither overwritten nor doubled",
  );
});

test('tracing on with TRACING_RECORD_HEADERS=false, and tracing off: no record headers', async () => {
  for (const tracing of [tracingOn(false), new TraceService(undefined, 'producer-gateway')]) {
    const { produce, producer } = setup({ t: 2 }, tracing);
    await produce([json({ value: { type: 'STRING', data: 'a' } })]);
    assert.equal(producer.sent.length, 1);
    assert.equal(producer.sent[0]!.headers, undefined);
  }
});
