import { randomUUID } from 'node:crypto';
import type { BenchContext, RowResult } from '../context';
import {
  CONSUMER_DATE_FORMAT,
  CONSUMER_PERFORMANCE,
  cpuBetween,
  failureReason,
  findKafkaTools,
  JAVA_LIBS_DIR,
  nextRecordCount,
  parseConsumerPerformance,
  parseProducerPerformance,
  PRODUCER_PERFORMANCE,
  runJavaTool,
} from '../java-tools';
import type { LoadResult } from '../load';
import { type BenchOptions, selected } from '../options';
import { sizeLabel } from '../payloads';
import type { ConsumeCase } from './consume';
import { produceCaseId } from './produce';
import { v3CaseId } from './v3';

/**
 * The Java-client rows ("the ceiling"): Kafka's own ProducerPerformance and ConsumerPerformance
 * (kafka-tools, the broker's version) against the same broker in the same run. Each is a JVM
 * child process; its CPU comes from /proc like the gateways'.
 */

export function javaProduceId(recordBytes: number): string {
  return `produce java ${sizeLabel(recordBytes)}`;
}

/**
 * The record sizes that get a Java producer row: those of the selected produce and v3 rows, and
 * any whose Java row is itself selected (`--only "produce java"`).
 */
export function javaProduceSizes(options: BenchOptions): number[] {
  if (!options.java) return [];
  const sizes = new Set<number>();
  for (const c of options.produce)
    if (selected(options, produceCaseId(c)) || selected(options, javaProduceId(c.recordBytes)))
      sizes.add(c.recordBytes);
  for (const c of options.v3) if (selected(options, v3CaseId(c))) sizes.add(c.recordBytes);
  return [...sizes].sort((a, b) => a - b);
}

const MB = 1024 * 1024;

function unavailable(
  pair: string,
  section: RowResult['section'],
  method: string,
  params: Record<string, string | number>,
  recordBytes: number,
  reason: string,
): RowResult {
  return {
    pair,
    section,
    side: 'java',
    method,
    params,
    recordBytes,
    load: undefined,
    recordsPerSec: 0,
    mbPerSec: 0,
    servedBy: undefined,
    processes: {},
    clientCpuSeconds: 0,
    notAvailable: reason,
  };
}

/**
 * ProducerPerformance at `recordBytes` with acks=all, idempotence and no throttle
 * (`--throughput -1`), on a fresh topic. A run's figures cover it from its first send to the
 * last acknowledgement; so that it lasts the row's warm-up plus window, a short sizing run comes
 * first and each next run is sized from the previous one's rate (at most 4 runs).
 */
export async function javaProduceRow(ctx: BenchContext, recordBytes: number): Promise<RowResult> {
  const pair = javaProduceId(recordBytes);
  const found = findKafkaTools(JAVA_LIBS_DIR);
  const method = (v: string): string =>
    `Java ProducerPerformance ${v} (acks=all, idempotent, throughput -1)`;
  const baseParams = { client: 'java', recordBytes };
  if ('missing' in found)
    return unavailable(pair, 'produce', method('–'), baseParams, recordBytes, found.missing);
  const topic = await ctx.direct.createTopic('j', ctx.options.partitions);
  const targetMs = ctx.options.warmupMs + ctx.options.durationMs;
  const props = [
    `bootstrap.servers=${ctx.stack.brokers.join(',')}`,
    'acks=all',
    'enable.idempotence=true',
  ];
  // ~2 MB of records first: short even on a slow machine
  let records = Math.max(1000, Math.round(2e6 / recordBytes));
  const runs: Record<string, unknown>[] = [];
  for (let attempt = 1; ; attempt++) {
    const run = await runJavaTool(
      ctx.options.javaBin,
      JAVA_LIBS_DIR,
      PRODUCER_PERFORMANCE,
      [
        '--topic',
        topic,
        '--num-records',
        String(records),
        '--record-size',
        String(recordBytes),
        '--throughput',
        '-1',
        '--producer-props',
        ...props,
      ],
      Math.max(120_000, targetMs * 20),
    );
    const summary = parseProducerPerformance(run.stdout);
    if (summary === undefined || run.exitCode !== 0)
      return unavailable(
        pair,
        'produce',
        method(found.version),
        { ...baseParams, topic },
        recordBytes,
        `failed: ${failureReason(run)}`,
      );
    const endAt = run.lineTimes.find((l) => l.line.includes('ms 99.9th'))?.t ?? Date.now();
    const cpuSeconds = cpuBetween(run.samples, endAt - summary.elapsedMs, endAt);
    runs.push({ requested: records, ...summary, cpuSeconds });
    ctx.log(
      `  java run ${attempt}: ${records} records in ${(summary.elapsedMs / 1000).toFixed(1)} s`,
    );
    const next = nextRecordCount(summary, targetMs, ctx.options.durationMs);
    if (next !== undefined && attempt < 4) {
      records = next;
      continue;
    }
    const load: LoadResult = {
      // every record is one send()
      ops: summary.records,
      records: summary.records,
      errors: records - summary.records,
      firstError: records > summary.records ? 'records not acknowledged (see stderr)' : undefined,
      elapsedMs: summary.elapsedMs,
      latency: {
        count: summary.records,
        mean: summary.avgMs,
        p50: summary.p50,
        p99: summary.p99,
        p999: summary.p999,
        max: summary.maxMs,
      },
    };
    const recordsPerSec = summary.elapsedMs > 0 ? summary.records / (summary.elapsedMs / 1000) : 0;
    return {
      pair,
      section: 'produce',
      side: 'java',
      method: method(found.version),
      params: { ...baseParams, records, topic },
      recordBytes,
      load,
      recordsPerSec,
      mbPerSec: (recordsPerSec * recordBytes) / 1e6,
      servedBy: undefined,
      processes: {},
      clientCpuSeconds: cpuSeconds,
      detail: {
        kafkaTools: found.version,
        runs,
        p95: summary.p95,
        windowShorterThanDuration: summary.elapsedMs < ctx.options.durationMs,
      },
    };
  }
}

/**
 * ConsumerPerformance on the consume pair's topic (already filled), in its own group, from the
 * earliest offset. Its window is the tool's fetch time (group join excluded); it reads raw bytes
 * and decodes nothing (no avro decoding, unlike the gateway and the kafkajs twin of avro rows).
 */
export async function javaConsumeRow(
  ctx: BenchContext,
  c: ConsumeCase,
  pair: string,
  params: Record<string, string | number>,
  topic: string,
  storedBytes: number,
): Promise<RowResult> {
  const found = findKafkaTools(JAVA_LIBS_DIR);
  const method = (v: string): string =>
    `Java ConsumerPerformance ${v} (raw bytes${c.format === 'binary' ? '' : `, no ${c.format} decode`})`;
  if ('missing' in found)
    return unavailable(pair, 'consume', method('–'), params, storedBytes, found.missing);
  const group = `bench-${ctx.options.runId}-j-${randomUUID().slice(0, 6)}`;
  const run = await runJavaTool(
    ctx.options.javaBin,
    JAVA_LIBS_DIR,
    CONSUMER_PERFORMANCE,
    [
      '--bootstrap-server',
      ctx.stack.brokers.join(','),
      '--topic',
      topic,
      '--group',
      group,
      '--messages',
      String(c.records),
      '--timeout',
      '10000',
      '--date-format',
      CONSUMER_DATE_FORMAT,
    ],
    Math.max(120_000, ctx.options.durationMs * 20),
  );
  const summary = parseConsumerPerformance(run.stdout);
  if (summary === undefined || run.exitCode !== 0)
    return unavailable(
      pair,
      'consume',
      method(found.version),
      params,
      storedBytes,
      `failed: ${failureReason(run)}`,
    );
  const fetchSeconds = summary.fetchMs / 1000;
  const cpuSeconds = cpuBetween(run.samples, summary.startMs + summary.rebalanceMs, summary.endMs);
  const load: LoadResult = {
    ops: 0,
    records: summary.records,
    errors: summary.timedOut ? 1 : 0,
    firstError: summary.timedOut
      ? `read ${summary.records} of ${c.records} records before its --timeout`
      : undefined,
    elapsedMs: summary.fetchMs,
    latency: undefined,
  };
  return {
    pair,
    section: 'consume',
    side: 'java',
    method: method(found.version),
    params,
    recordBytes: storedBytes,
    load,
    recordsPerSec: fetchSeconds > 0 ? summary.records / fetchSeconds : 0,
    mbPerSec: fetchSeconds > 0 ? (summary.mib * MB) / 1e6 / fetchSeconds : 0,
    servedBy: undefined,
    processes: {},
    clientCpuSeconds: cpuSeconds,
    detail: { kafkaTools: found.version, group, ...summary },
  };
}
