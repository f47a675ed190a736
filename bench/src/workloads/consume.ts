import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { BenchContext, RowResult } from '../context';
import { rates } from '../context';
import { HttpClient } from '../http-client';
import type { LoadResult } from '../load';
import { BENCH_AVRO_SCHEMA, makeRecords, sizeLabel } from '../payloads';
import { ProcessMonitor, selfCpu } from '../proc';
import { LatencyRecorder } from '../stats';
import { javaConsumeRow } from './java';

export interface ConsumeCase {
  readonly format: 'binary' | 'json' | 'avro';
  readonly recordBytes: number;
  readonly records: number;
}

export function consumeCaseId(c: ConsumeCase): string {
  return `consume ${c.format} ${sizeLabel(c.recordBytes)} (${c.records} records)`;
}

const V2 = 'application/vnd.kafka.v2+json';

/** What the direct consumer does with each value, as the gateway does it for an HTTP client. */
const DIRECT_DECODE: Readonly<Record<ConsumeCase['format'], string>> = {
  binary: '',
  json: ' + JSON.parse',
  avro: ' + avro decode',
};

/**
 * Fills one topic with `records` records, then reads all of them three times: through a consumer
 * instance's HTTP polling loop, with a plain kafkajs group consumer and with Kafka's Java
 * ConsumerPerformance (each in its own group).
 * The group join and the first batch are the warm-up: the window opens when the first records
 * arrive (those are not counted) and closes when the rest arrived or the time limit passed.
 */
export async function consumePair(ctx: BenchContext, c: ConsumeCase): Promise<RowResult[]> {
  const pair = consumeCaseId(c);
  const params = { format: c.format, recordBytes: c.recordBytes, records: c.records };
  const topic = await ctx.direct.createTopic('c', ctx.options.partitions);
  const schemaId =
    c.format === 'avro'
      ? await ctx.registry.register(`${topic}-value`, 'AVRO', BENCH_AVRO_SCHEMA)
      : undefined;
  const writer =
    schemaId === undefined
      ? undefined
      : await ctx.serde.writer(topic, 'value', 'avro', { schemaId });
  const storedBytes = await prefill(ctx, topic, c, writer);
  const limitMs = Math.max(ctx.options.durationMs * 4, 10_000);
  const rows = [
    await gatewayRow(ctx, c, pair, params, topic, storedBytes, limitMs),
    await sseRow(ctx, c, pair, params, topic, storedBytes, limitMs),
    await directRow(ctx, c, pair, params, topic, storedBytes, schemaId, limitMs),
  ];
  if (ctx.options.java) rows.push(await javaConsumeRow(ctx, c, pair, params, topic, storedBytes));
  return rows;
}

async function prefill(
  ctx: BenchContext,
  topic: string,
  c: ConsumeCase,
  writer: Parameters<typeof makeRecords>[3],
): Promise<number> {
  const chunk = 500;
  const batch = makeRecords(c.format, c.recordBytes, chunk, writer);
  const producer = await ctx.direct.getProducer();
  const t = performance.now();
  for (let sent = 0; sent < c.records; sent += chunk) {
    const messages = batch.serialize().slice(0, Math.min(chunk, c.records - sent));
    await producer.send({ topic, acks: -1, messages });
  }
  ctx.log(`  prefilled ${c.records} records in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return batch.storedBytes;
}

/** A consumer instance of its own group, reading from the earliest offset; its path. */
async function createInstance(
  ctx: BenchContext,
  client: HttpClient,
  c: ConsumeCase,
  tag: string,
): Promise<string> {
  const group = `bench-${ctx.options.runId}-${tag}-${randomUUID().slice(0, 6)}`;
  const created = JSON.parse(
    await client.expect(
      200,
      'POST',
      `/consumers/${group}`,
      { 'content-type': V2 },
      JSON.stringify({ format: c.format, 'auto.offset.reset': 'earliest' }),
    ),
  ) as { instance_id: string };
  return `/consumers/${group}/instances/${created.instance_id}`;
}

async function gatewayRow(
  ctx: BenchContext,
  c: ConsumeCase,
  pair: string,
  params: Record<string, string | number>,
  topic: string,
  storedBytes: number,
  limitMs: number,
): Promise<RowResult> {
  const client = new HttpClient(ctx.consumerBase, 1);
  const path = await createInstance(ctx, client, c, 'g');
  const accept = { accept: `application/vnd.kafka.${c.format}.v2+json` };
  const query =
    ctx.options.maxBytes === undefined
      ? 'timeout=1000'
      : `timeout=1000&max_bytes=${ctx.options.maxBytes}`;
  const monitor = new ProcessMonitor(ctx.stack.pids);
  const latency = new LatencyRecorder();
  let clientCpu = selfCpu();
  let counted = 0;
  let seen = 0;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  let windowStart = 0;
  let lastRecordAt = 0;
  try {
    await client.expect(
      204,
      'POST',
      `${path}/subscription`,
      { 'content-type': V2 },
      JSON.stringify({ topics: [topic] }),
    );
    const deadline = performance.now() + limitMs;
    while (seen < c.records && performance.now() < deadline) {
      const started = performance.now();
      let n = 0;
      try {
        const text = await client.expect(200, 'GET', `${path}/records?${query}`, accept);
        n = (JSON.parse(text) as unknown[]).length;
      } catch (err) {
        if (windowStart > 0) errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        await new Promise((r) => setTimeout(r, 10));
      }
      const done = performance.now();
      seen += n;
      if (windowStart === 0) {
        if (n > 0) {
          // the first records end the warm-up (group join, first fetch); they are not counted
          windowStart = done;
          monitor.begin();
          clientCpu = selfCpu();
        }
        continue;
      }
      ops++;
      latency.add(done - started);
      counted += n;
      if (n > 0) lastRecordAt = done;
    }
    const processes = monitor.end();
    const load: LoadResult = {
      ops,
      records: counted,
      errors,
      firstError,
      elapsedMs: windowStart > 0 && lastRecordAt > 0 ? lastRecordAt - windowStart : 0,
      latency: latency.summary(),
    };
    return {
      pair,
      section: 'consume',
      side: 'gateway',
      method: `HTTP v2 ${c.format} polling loop (GET records)`,
      params,
      recordBytes: storedBytes,
      load,
      ...rates(load, storedBytes),
      servedBy: 'consumer-gateway',
      processes,
      clientCpuSeconds: clientCpu(),
    };
  } finally {
    await client.request('DELETE', path, { 'content-type': V2 }).catch(() => undefined);
    await client.close();
  }
}

/**
 * The same records through a records stream (Server-Sent Events): one `GET …/records` with
 * `Accept: text/event-stream`, events counted as they arrive (one `id:` line per record). Same
 * window rule as the polling loop; no request per batch, so no latency.
 */
async function sseRow(
  ctx: BenchContext,
  c: ConsumeCase,
  pair: string,
  params: Record<string, string | number>,
  topic: string,
  storedBytes: number,
  limitMs: number,
): Promise<RowResult> {
  const client = new HttpClient(ctx.consumerBase, 1);
  const path = await createInstance(ctx, client, c, 's');
  const monitor = new ProcessMonitor(ctx.stack.pids);
  let clientCpu = selfCpu();
  let seen = 0;
  let counted = 0;
  let windowStart = 0;
  let lastRecordAt = 0;
  let firstError: string | undefined;
  try {
    await client.expect(
      204,
      'POST',
      `${path}/subscription`,
      { 'content-type': V2 },
      JSON.stringify({ topics: [topic] }),
    );
    await new Promise<void>((resolve) => {
      const req = request(
        new URL(path + '/records', ctx.consumerBase),
        { headers: { accept: 'text/event-stream' } },
        (res) => {
          if (res.statusCode !== 200) {
            firstError = `status ${res.statusCode}`;
            res.resume();
            finish();
            return;
          }
          res.setEncoding('utf8');
          let tail = '';
          res.on('data', (chunk: string) => {
            const text = tail + chunk;
            let n = 0;
            for (let i = text.indexOf('\nid: '); i >= 0; i = text.indexOf('\nid: ', i + 1)) n++;
            if (text.startsWith('id: ')) n++;
            // an `id:` split across chunks is counted in the next one
            tail = text.slice(-4);
            if (tail.includes('\n')) tail = tail.slice(tail.lastIndexOf('\n'));
            else tail = '';
            const now = performance.now();
            seen += n;
            if (n === 0) return;
            if (windowStart === 0) {
              windowStart = now;
              monitor.begin();
              clientCpu = selfCpu();
            } else {
              counted += n;
              lastRecordAt = now;
            }
            if (seen >= c.records) finish();
          });
          res.on('error', finish);
        },
      );
      const timer = setTimeout(finish, limitMs);
      function finish(): void {
        clearTimeout(timer);
        req.destroy();
        resolve();
      }
      req.on('error', (err) => {
        firstError ??= err.message;
        finish();
      });
      req.end();
    });
    const processes = monitor.end();
    const load: LoadResult = {
      ops: 0,
      records: counted,
      errors: firstError === undefined ? 0 : 1,
      firstError,
      elapsedMs: windowStart > 0 && lastRecordAt > 0 ? lastRecordAt - windowStart : 0,
      latency: undefined,
    };
    return {
      pair,
      section: 'consume',
      side: 'gateway',
      method: `HTTP v2 ${c.format} records stream (SSE)`,
      params,
      recordBytes: storedBytes,
      load,
      ...rates(load, storedBytes),
      servedBy: 'consumer-gateway',
      processes,
      clientCpuSeconds: clientCpu(),
    };
  } finally {
    // deleting the instance also ends its stream on the gateway
    await client.request('DELETE', path, { 'content-type': V2 }).catch(() => undefined);
    await client.close();
  }
}

async function directRow(
  ctx: BenchContext,
  c: ConsumeCase,
  pair: string,
  params: Record<string, string | number>,
  topic: string,
  storedBytes: number,
  schemaId: number | undefined,
  limitMs: number,
): Promise<RowResult> {
  const group = `bench-${ctx.options.runId}-k-${randomUUID().slice(0, 6)}`;
  const consumer = ctx.direct.kafka.consumer({ groupId: group });
  if (schemaId !== undefined) await ctx.serde.load(schemaId);
  const monitor = new ProcessMonitor(ctx.stack.pids);
  let clientCpu = selfCpu();
  let seen = 0;
  let counted = 0;
  let windowStart = 0;
  let lastRecordAt = 0;
  let firstError: string | undefined;
  let errors = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, limitMs);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            let n = 0;
            for (const m of batch.messages) {
              // a real client decodes what it reads; the gateway does this for the HTTP side
              // (avro: decoded with the writer schema; json: parsed, as the gateway checks it)
              try {
                if (schemaId !== undefined) ctx.serde.deserializeLoaded(m.value, 'avro');
                else if (c.format === 'json' && m.value !== null) JSON.parse(m.value.toString());
              } catch (err) {
                errors++;
                firstError ??= err instanceof Error ? err.message : String(err);
              }
              n++;
            }
            const now = performance.now();
            seen += n;
            if (windowStart === 0) {
              windowStart = now;
              monitor.begin();
              clientCpu = selfCpu();
            } else {
              counted += n;
              lastRecordAt = now;
            }
            if (seen >= c.records) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    const processes = monitor.end();
    const load: LoadResult = {
      ops: 0,
      records: counted,
      errors,
      firstError,
      elapsedMs: windowStart > 0 && lastRecordAt > 0 ? lastRecordAt - windowStart : 0,
      latency: undefined,
    };
    return {
      pair,
      section: 'consume',
      side: 'direct',
      method: `kafkajs consumer eachBatch${DIRECT_DECODE[c.format]}`,
      params,
      recordBytes: storedBytes,
      load,
      ...rates(load, storedBytes),
      servedBy: undefined,
      processes,
      clientCpuSeconds: clientCpu(),
    };
  } finally {
    await consumer.disconnect();
  }
}
