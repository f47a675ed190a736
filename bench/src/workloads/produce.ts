import type { BenchContext, RowResult } from '../context';
import { rates } from '../context';
import { HttpClient } from '../http-client';
import { closedLoop } from '../load';
import {
  makeRecords,
  type RowFormat,
  type RowRecords,
  sizeLabel,
  BENCH_AVRO_SCHEMA,
} from '../payloads';
import { ProcessMonitor, selfCpu } from '../proc';

export interface ProduceCase {
  readonly format: RowFormat;
  readonly recordBytes: number;
  readonly recordsPerRequest: number;
  readonly concurrency: number;
}

export function produceCaseId(c: ProduceCase): string {
  return `produce ${c.format} ${sizeLabel(c.recordBytes)} x${c.recordsPerRequest} c${c.concurrency}`;
}

/** The pair of a produce row's twin through the SASL_SSL producer gateway (`--sasl-ssl`). */
export function saslSslCaseId(c: ProduceCase): string {
  return `${produceCaseId(c)} (SASL_SSL)`;
}

/** The pair of a produce row's twin through the authenticating gateway (`--auth`). */
export function authCaseId(c: ProduceCase, method: 'basic' | 'jwt'): string {
  return `${produceCaseId(c)} (auth ${method})`;
}

/** Where a gateway row sends its requests and whose CPU and RSS it reports. */
interface GatewayTarget {
  readonly base: string;
  readonly servedBy: string;
  readonly pair: string;
  readonly methodSuffix: string;
  readonly saslSslTwinOf?: string;
  /** Sent with every request (`--auth`: the Authorization header). */
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

interface ProduceAnswer {
  offsets?: { error_code: number | null; error?: string | null }[];
}

const CONTENT_TYPE: Readonly<Record<RowFormat, string>> = {
  binary: 'application/vnd.kafka.binary.v2+json',
  json: 'application/vnd.kafka.json.v2+json',
  avro: 'application/vnd.kafka.avro.v2+json',
};

/**
 * The gateway row and its kafkajs twin, each on a fresh topic, with the same records; with
 * `--sasl-ssl`, a third row through the SASL_SSL producer gateway on its own fresh topic.
 */
export async function producePair(ctx: BenchContext, c: ProduceCase): Promise<RowResult[]> {
  const pair = produceCaseId(c);
  const params = {
    format: c.format,
    recordBytes: c.recordBytes,
    recordsPerRequest: c.recordsPerRequest,
    concurrency: c.concurrency,
  };
  const single = c.recordsPerRequest === 1;
  const rows: RowResult[] = [];

  const plaintext: GatewayTarget = {
    base: ctx.producerBase,
    servedBy: 'producer-gateway',
    pair,
    methodSuffix: '',
  };
  rows.push(await freshGatewayRow(ctx, c, params, single, plaintext));
  rows.push(await directProduceRow(ctx, c, pair, params));

  const sasl = ctx.saslGateway;
  if (sasl !== undefined) {
    const twin = saslSslCaseId(c);
    ctx.log(twin);
    if ('error' in sasl) {
      rows.push(notRun(twin, params, pair, sasl.error));
    } else {
      const target: GatewayTarget = {
        base: sasl.url,
        servedBy: sasl.component,
        pair: twin,
        methodSuffix: ' over SASL_SSL (SCRAM-SHA-512)',
        saslSslTwinOf: pair,
      };
      try {
        rows.push(await freshGatewayRow(ctx, c, params, single, target));
      } catch (err) {
        rows.push(notRun(twin, params, pair, err instanceof Error ? err.message : String(err)));
      }
    }
  }
  rows.push(...(await authRows(ctx, c, params, single)));
  return rows;
}

/**
 * `--auth`: the row again through the authenticating gateway, with Basic and with a JWT, each
 * on its own fresh topic. Credentials are the same on every request, so after the first one
 * both are answered from the gateway's verification caches.
 */
async function authRows(
  ctx: BenchContext,
  c: ProduceCase,
  params: Record<string, string | number>,
  single: boolean,
): Promise<RowResult[]> {
  const auth = ctx.authGateway;
  if (auth === undefined) return [];
  const rows: RowResult[] = [];
  for (const method of ['basic', 'jwt'] as const) {
    const twin = authCaseId(c, method);
    ctx.log(twin);
    const suffix = ` with ${method === 'basic' ? 'Basic' : 'JWT'} authentication (cached)`;
    if ('error' in auth) {
      rows.push(notRun(twin, params, undefined, auth.error, suffix));
      continue;
    }
    const target: GatewayTarget = {
      base: auth.url,
      servedBy: auth.component,
      pair: twin,
      methodSuffix: suffix,
      extraHeaders: { authorization: auth.authorization[method] },
    };
    try {
      // one request first, so the measured window sees the cached path (the steady state)
      const prime = await fetch(`${auth.url}/topics`, { headers: { ...target.extraHeaders } });
      await prime.arrayBuffer();
      if (prime.status !== 200) throw new Error(`authentication refused: ${prime.status}`);
      rows.push(await freshGatewayRow(ctx, c, params, single, target));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      rows.push(notRun(twin, params, undefined, message, suffix));
    }
  }
  return rows;
}

function notRun(
  pair: string,
  params: Record<string, string | number>,
  twinOf: string | undefined,
  message: string,
  methodSuffix = ' over SASL_SSL (SCRAM-SHA-512)',
): RowResult {
  return {
    pair,
    section: 'produce',
    side: 'gateway',
    method: `HTTP v2${methodSuffix}`,
    params,
    recordBytes: 0,
    load: undefined,
    recordsPerSec: 0,
    mbPerSec: 0,
    servedBy: undefined,
    processes: {},
    clientCpuSeconds: 0,
    ...(twinOf === undefined ? {} : { saslSslTwinOf: twinOf }),
    notAvailable: `failed: ${message}`,
  };
}

/** A gateway row on a fresh topic (with its own schema for avro). */
async function freshGatewayRow(
  ctx: BenchContext,
  c: ProduceCase,
  params: Record<string, string | number>,
  single: boolean,
  target: GatewayTarget,
): Promise<RowResult> {
  const topic = await ctx.direct.createTopic('p', ctx.options.partitions);
  const schemaId =
    c.format === 'avro'
      ? await ctx.registry.register(`${topic}-value`, 'AVRO', BENCH_AVRO_SCHEMA)
      : undefined;
  const writer =
    schemaId === undefined
      ? undefined
      : await ctx.serde.writer(topic, 'value', 'avro', { schemaId });
  const records = makeRecords(c.format, c.recordBytes, c.recordsPerRequest, writer);
  return gatewayRow(ctx, c, params, topic, records, schemaId, single, target);
}

async function gatewayRow(
  ctx: BenchContext,
  c: ProduceCase,
  params: Record<string, string | number>,
  topic: string,
  records: RowRecords,
  schemaId: number | undefined,
  single: boolean,
  target: GatewayTarget,
): Promise<RowResult> {
  const client = new HttpClient(target.base, c.concurrency);
  const envelope = {
    ...(schemaId === undefined ? {} : { value_schema_id: schemaId }),
    records: records.envelopeValues.map((value) => ({ value })),
  };
  const headers = {
    'content-type': CONTENT_TYPE[c.format],
    accept: 'application/vnd.kafka.v2+json',
    ...target.extraHeaders,
  };
  const path = `/topics/${topic}`;
  const monitor = new ProcessMonitor(ctx.stack.pids);
  let clientCpu = selfCpu();
  try {
    const load = await closedLoop({
      concurrency: c.concurrency,
      warmupMs: ctx.options.warmupMs,
      durationMs: ctx.options.durationMs,
      onWindowStart: () => {
        monitor.begin();
        clientCpu = selfCpu();
      },
      op: async () => {
        // the client serializes its request as any HTTP client would, once per request
        const text = await client.expect(200, 'POST', path, headers, JSON.stringify(envelope));
        const answer = JSON.parse(text) as ProduceAnswer;
        const failed = answer.offsets?.find((o) => o.error_code !== null);
        if (failed !== undefined)
          throw new Error(`record failed: ${failed.error ?? failed.error_code}`);
        return answer.offsets?.length ?? 0;
      },
    });
    const processes = monitor.end();
    return {
      pair: target.pair,
      section: 'produce',
      side: 'gateway',
      method: `HTTP v2 ${c.format}${single ? ' (1 record/request)' : ''}${target.methodSuffix}`,
      params,
      recordBytes: records.storedBytes,
      load,
      ...rates(load, records.storedBytes),
      servedBy: target.servedBy,
      processes,
      clientCpuSeconds: clientCpu(),
      ...(target.saslSslTwinOf === undefined ? {} : { saslSslTwinOf: target.saslSslTwinOf }),
    };
  } finally {
    await client.close();
  }
}

/** The kafkajs twin of a produce row, on its own fresh topic (also the twin of the v3 row). */
export async function directProduceRow(
  ctx: BenchContext,
  c: ProduceCase,
  pair: string,
  params: Record<string, string | number>,
): Promise<RowResult> {
  const topic = await ctx.direct.createTopic('d', ctx.options.partitions);
  const schemaId =
    c.format === 'avro'
      ? await ctx.registry.register(`${topic}-value`, 'AVRO', BENCH_AVRO_SCHEMA)
      : undefined;
  const writer =
    schemaId === undefined
      ? undefined
      : await ctx.serde.writer(topic, 'value', 'avro', { schemaId });
  const records = makeRecords(c.format, c.recordBytes, c.recordsPerRequest, writer);
  return directRow(ctx, c, pair, params, topic, records, c.recordsPerRequest === 1);
}

async function directRow(
  ctx: BenchContext,
  c: ProduceCase,
  pair: string,
  params: Record<string, string | number>,
  topic: string,
  records: RowRecords,
  single: boolean,
): Promise<RowResult> {
  const producer = await ctx.direct.getProducer();
  const monitor = new ProcessMonitor(ctx.stack.pids);
  let clientCpu = selfCpu();
  const load = await closedLoop({
    concurrency: c.concurrency,
    warmupMs: ctx.options.warmupMs,
    durationMs: ctx.options.durationMs,
    onWindowStart: () => {
      monitor.begin();
      clientCpu = selfCpu();
    },
    op: async () => {
      const messages = records.serialize();
      await producer.send({ topic, acks: -1, messages });
      return messages.length;
    },
  });
  const processes = monitor.end();
  return {
    pair,
    section: 'produce',
    side: 'direct',
    method: single ? 'kafkajs send per record' : `kafkajs send (${c.format} serialized by client)`,
    params,
    recordBytes: records.storedBytes,
    load,
    ...rates(load, records.storedBytes),
    servedBy: undefined,
    processes,
    clientCpuSeconds: clientCpu(),
  };
}
