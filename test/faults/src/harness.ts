import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Fault-suite support: load through the entry point where every record carries a unique id,
 * stack control (`infra/stack kill|stop|start`), read-back with a plain kafkajs consumer and
 * the result row of each scenario. The stack's addresses come from stack.env (test/faults/run.sh
 * sources it).
 */
function required(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '')
    throw new Error(`${name} is not set: run through npm run test:faults`);
  return v;
}

export const env = {
  gatewayUrl: required('GATEWAY_URL'),
  brokers: required('KAFKA_BROKERS').split(','),
  registryUrl: required('SCHEMA_REGISTRY_URL'),
  runDir: required('STACK_RUN_DIR'),
  producerMetricsUrls: required('PRODUCER_METRICS_URLS').split(','),
  consumerMetricsUrls: required('CONSUMER_METRICS_URLS').split(','),
  brokerCount: Number(process.env['KAFKA_BROKER_COUNT'] ?? '1'),
  replicas: Number(process.env['GATEWAY_REPLICAS'] ?? '1'),
  resultsFile: process.env['FAULTS_RESULTS'] ?? join(required('STACK_RUN_DIR'), 'faults.jsonl'),
};

const REPO = resolve(__dirname, '..', '..', '..');

export const kafka = new Kafka({
  clientId: 'faults',
  brokers: env.brokers,
  logLevel: logLevel.NOTHING,
});

/** `infra/stack <action> <component>...` against the suite's run directory. */
/**
 * Runs `infra/stack <action> <components>` and resolves when it is done. Asynchronous on purpose:
 * a synchronous child blocks this process's event loop, so the load stops while a component
 * restarts and every answer arriving meanwhile is timed late (`stack start` of three brokers
 * blocked about 12 s: the full outage's "38.7 s" failures were 26-27 s in the gateway's log).
 */
export function stack(
  action: 'kill' | 'stop' | 'start' | 'restart',
  ...components: string[]
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(REPO, 'infra', 'stack'), [action, ...components], {
      env: process.env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`infra/stack ${action} ${components.join(' ')}: ${code ?? signal}`));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const uid = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function createTopic(prefix: string, partitions: number): Promise<string> {
  const topic = uid(prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: false,
    });
    // a new topic reaches every broker's metadata a moment later (UNKNOWN_TOPIC_OR_PARTITION until then)
    await waitFor(`${topic} has a leader for every partition`, 30_000, async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return (
        topics[0]?.partitions.length === partitions &&
        topics[0].partitions.every((p) => p.leader >= 0)
      );
    });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

// ------------------------------------------------------------------------------------------
// formats: every value carries its record id as a plain string, so the read-back finds it in
// the raw bytes whatever the encoding (JSON text, Avro string, Protobuf string field)

export type Format = 'binary' | 'json' | 'avro' | 'jsonschema' | 'protobuf';
export const FORMATS: readonly Format[] = ['binary', 'json', 'avro', 'jsonschema', 'protobuf'];
const MEDIA: Record<Format, string> = {
  binary: 'application/vnd.kafka.binary.v2+json',
  json: 'application/vnd.kafka.json.v2+json',
  avro: 'application/vnd.kafka.avro.v2+json',
  jsonschema: 'application/vnd.kafka.jsonschema.v2+json',
  protobuf: 'application/vnd.kafka.protobuf.v2+json',
};
const SCHEMA: Partial<Record<Format, (name: string) => string>> = {
  avro: (name) =>
    JSON.stringify({
      type: 'record',
      name,
      fields: [
        { name: 'id', type: 'string' },
        { name: 'n', type: 'long' },
      ],
    }),
  jsonschema: () =>
    JSON.stringify({
      type: 'object',
      properties: { id: { type: 'string' }, n: { type: 'integer' } },
      required: ['id'],
    }),
  protobuf: (name) => `syntax = "proto3"; message ${name} { string id = 1; int64 n = 2; }`,
};
/**
 * Record ids: `r<run>-<worker>-<seq>x`, found again by this pattern in any encoding (the `x`
 * ends the id: an Avro long or a Protobuf tag after it may be a digit byte).
 */
const ID_PATTERN = /r[0-9a-f]{8}-\d+-\d+x/g;

function recordValue(format: Format, id: string, n: number): unknown {
  if (format === 'binary') return Buffer.from(JSON.stringify({ id, n })).toString('base64');
  return { id, n };
}

// ------------------------------------------------------------------------------------------
// load

export interface RequestOutcome {
  start: number;
  end: number;
  status: number; // 0: no HTTP answer (connection error or the client's timeout)
  errorCode?: number;
  acked: number;
  failedRecords: number;
  retriable: boolean;
  error?: string;
}

export interface LoadStats {
  acked: Set<string>;
  outcomes: RequestOutcome[];
}

/** HTTP statuses a client is told to retry (Confluent: 408/429/5xx with error_code 5xxxx/40801). */
function isRetriable(status: number, errorCode: number | undefined): boolean {
  if (status === 408 || status === 429 || status === 502 || status === 503 || status === 504)
    return true;
  if (status === 500 && errorCode !== undefined && errorCode >= 50002) return true;
  return (
    errorCode === 40801 || (errorCode !== undefined && errorCode >= 50002 && errorCode < 50100)
  );
}

function isRetriableCode(errorCode: number | undefined): boolean {
  return (
    errorCode === 40801 || (errorCode !== undefined && errorCode >= 50002 && errorCode < 50100)
  );
}

/** The client's own limit per request: above the gateway's produce timeout, so a hang shows. */
export const CLIENT_TIMEOUT_MS = 60_000;

export class ProduceLoad {
  readonly stats: LoadStats = { acked: new Set(), outcomes: [] };
  private running = true;
  private readonly workers: Promise<void>[] = [];
  private readonly run = randomUUID().slice(0, 8);

  constructor(
    private readonly topics: Record<Format, string>,
    private readonly options: {
      connections: number;
      batch: number;
      pauseMs: number;
      formats?: readonly Format[];
    },
  ) {}

  start(): this {
    const formats = this.options.formats ?? FORMATS;
    for (let w = 0; w < this.options.connections; w++) {
      this.workers.push(this.worker(w, formats[w % formats.length]!));
    }
    return this;
  }

  async stop(): Promise<LoadStats> {
    this.running = false;
    await Promise.all(this.workers);
    return this.stats;
  }

  private async worker(w: number, format: Format): Promise<void> {
    const topic = this.topics[format];
    // one schema per format and run: the workers of a format share a topic, hence a subject
    const schema = SCHEMA[format]?.(`R${this.run}`);
    let schemaId: number | undefined;
    let seq = 0;
    while (this.running) {
      const ids: string[] = [];
      const records = [];
      for (let i = 0; i < this.options.batch; i++) {
        const id = `r${this.run}-${w}-${seq++}x`;
        ids.push(id);
        records.push({ value: recordValue(format, id, seq) });
      }
      const body: Record<string, unknown> = { records };
      if (schema !== undefined) {
        if (schemaId === undefined) body['value_schema'] = schema;
        else body['value_schema_id'] = schemaId;
      }
      const outcome = await produceOnce(topic, format, body, ids, this.stats.acked);
      if (outcome.schemaId !== undefined) schemaId = outcome.schemaId;
      this.stats.outcomes.push(outcome);
      if (this.options.pauseMs > 0) await sleep(this.options.pauseMs);
    }
  }
}

export async function produceOnce(
  topic: string,
  format: Format,
  body: unknown,
  ids: readonly string[],
  acked: Set<string>,
): Promise<RequestOutcome & { schemaId?: number }> {
  const start = Date.now();
  try {
    const res = await fetch(`${env.gatewayUrl}/topics/${topic}`, {
      method: 'POST',
      headers: { 'content-type': MEDIA[format], accept: 'application/vnd.kafka.v2+json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    const end = Date.now();
    if (res.status !== 200) {
      const errorCode = typeof parsed['error_code'] === 'number' ? parsed['error_code'] : undefined;
      return {
        start,
        end,
        status: res.status,
        ...(errorCode === undefined ? {} : { errorCode }),
        acked: 0,
        failedRecords: ids.length,
        retriable: isRetriable(res.status, errorCode),
        error: text.slice(0, 200),
      };
    }
    const offsets = (parsed['offsets'] ?? []) as {
      error_code?: number | null;
      error?: string | null;
    }[];
    let ok = 0;
    let failed = 0;
    let firstError: { code?: number; message?: string } | undefined;
    offsets.forEach((o, i) => {
      if (o.error_code === null || o.error_code === undefined) {
        acked.add(ids[i]!);
        ok++;
      } else {
        failed++;
        firstError ??= { code: o.error_code, ...(o.error ? { message: o.error } : {}) };
      }
    });
    const schemaId =
      typeof parsed['value_schema_id'] === 'number' ? parsed['value_schema_id'] : undefined;
    return {
      start,
      end,
      status: 200,
      ...(firstError?.code === undefined ? {} : { errorCode: firstError.code }),
      acked: ok,
      failedRecords: failed + Math.max(0, ids.length - offsets.length),
      // a record-level error is retriable only by its code (50002..50099, 40801)
      retriable: failed === 0 || isRetriableCode(firstError?.code),
      ...(firstError?.message === undefined ? {} : { error: firstError.message }),
      ...(schemaId === undefined ? {} : { schemaId }),
    };
  } catch (err) {
    return {
      start,
      end: Date.now(),
      status: 0,
      acked: 0,
      failedRecords: ids.length,
      retriable: false,
      error: describe(err),
    };
  }
}

/** An error with its cause (undici's "fetch failed" says why only in `cause`). */
export function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause === undefined || cause === null) return String(err);
  const why = typeof cause.code === 'string' ? cause.code : cause.message;
  return `${String(err)} (${typeof why === 'string' ? why : 'no detail'})`;
}

// ------------------------------------------------------------------------------------------
// read-back

/** Every record id found in the topics (from the beginning up to the end offsets of now), counted. */
export async function readBack(topics: readonly string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  const end = new Map<string, number>();
  let total = 0;
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        end.set(`${topic}/${p.partition}`, Number(p.high));
        total += Number(p.high) - Number(p.low);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const counts = new Map<string, number>();
  if (total === 0) return counts;
  const consumer = kafka.consumer({ groupId: uid('faults-readback'), maxWaitTimeInMs: 500 });
  await consumer.connect();
  let seen = 0;
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolveDone, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read back ${seen}/${total} records in 120 s`)),
        120_000,
      );
      consumer
        .run({
          eachMessage: ({ topic, partition, message }) => {
            if (Number(message.offset) >= (end.get(`${topic}/${partition}`) ?? 0))
              return Promise.resolve();
            seen++;
            for (const id of (message.value ?? Buffer.alloc(0))
              .toString('latin1')
              .match(ID_PATTERN) ?? []) {
              counts.set(id, (counts.get(id) ?? 0) + 1);
            }
            if (seen >= total) {
              clearTimeout(timer);
              resolveDone();
            }
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return counts;
}

export interface Verdict {
  acked: number;
  lost: number;
  duplicated: number;
  lostSample: string[];
}

export function compare(acked: ReadonlySet<string>, found: ReadonlyMap<string, number>): Verdict {
  const lost: string[] = [];
  let duplicated = 0;
  for (const id of acked) {
    const n = found.get(id) ?? 0;
    if (n === 0) lost.push(id);
    if (n > 1) duplicated++;
  }
  return { acked: acked.size, lost: lost.length, duplicated, lostSample: lost.slice(0, 5) };
}

// ------------------------------------------------------------------------------------------
// results

export interface Row {
  scenario: string;
  acknowledged: number;
  lost: number;
  duplicated: number;
  failedRequests: number;
  recovery: string;
  notes?: string;
}

export function report(row: Row): void {
  mkdirSync(resolve(env.resultsFile, '..'), { recursive: true });
  appendFileSync(env.resultsFile, JSON.stringify({ ...row, at: new Date().toISOString() }) + '\n');
  console.log(`[faults] ${JSON.stringify(row)}`);
}

/** A request that took longer than this is "not yet recovered" (normal ones take < 1 s here). */
export const SLOW_MS = 3000;

/**
 * Recovery: from the fault until the end of the last request that failed or was slow; 0 when
 * none was.
 */
export function recoveryMs(outcomes: readonly RequestOutcome[], faultAt: number): number {
  let last = faultAt;
  for (const o of outcomes) {
    if (o.end < faultAt) continue;
    if (o.status !== 200 || o.failedRecords > 0 || o.end - o.start > SLOW_MS)
      last = Math.max(last, o.end);
  }
  return last - faultAt;
}

export const failedRequests = (outcomes: readonly RequestOutcome[]): RequestOutcome[] =>
  outcomes.filter((o) => o.status !== 200 || o.failedRecords > 0);

export async function topicsPerFormat(
  prefix: string,
  partitions: number,
): Promise<Record<Format, string>> {
  const out = {} as Record<Format, string>;
  for (const f of FORMATS) out[f] = await createTopic(`${prefix}-${f}`, partitions);
  return out;
}

export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<number> {
  const t0 = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
  return Date.now() - t0;
}

export async function ready(url: string): Promise<boolean> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
  return res.status === 200;
}

/** The node leading most partitions of these topics, as an infra/stack component name. */
export async function busiestLeader(topics: string[]): Promise<{ component: string; led: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics: meta } = await admin.fetchTopicMetadata({ topics });
    const led = new Map<number, number>();
    for (const t of meta)
      for (const p of t.partitions) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
    const [node, count] = [...led.entries()].sort((a, b) => b[1] - a[1])[0]!;
    return { component: node === 1 ? 'kafka' : `kafka-${node}`, led: count };
  } finally {
    await admin.disconnect();
  }
}
