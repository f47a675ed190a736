import type { BenchContext, RowResult } from '../context';
import { rates } from '../context';
import { HttpClient } from '../http-client';
import { closedLoop } from '../load';
import { makeRecords, sizeLabel } from '../payloads';
import { ProcessMonitor, selfCpu } from '../proc';
import { directProduceRow } from './produce';

/**
 * Hook for the v3 streaming produce row (`POST /v3/clusters/{c}/topics/{t}/records`, being
 * built elsewhere). A probe with one record decides: 404 → the row is reported "not available";
 * otherwise each operation streams `recordsPerRequest` JSON records in one request body (the
 * Confluent v3 streaming mode) and counts the per-record results, beside the same kafkajs twin
 * as the v2 binary row.
 */
export interface V3Case {
  readonly recordBytes: number;
  readonly recordsPerRequest: number;
  readonly concurrency: number;
}

export function v3CaseId(c: V3Case): string {
  return `produce v3 stream binary ${sizeLabel(c.recordBytes)} x${c.recordsPerRequest} c${c.concurrency}`;
}

export async function v3Pair(ctx: BenchContext, c: V3Case): Promise<RowResult[]> {
  const pair = v3CaseId(c);
  const params = { format: 'binary', ...c };
  const clusterId = await ctx.direct.clusterId();
  const topic = await ctx.direct.createTopic('v3', ctx.options.partitions);
  const client = new HttpClient(ctx.producerBase, c.concurrency);
  try {
    const path = `/v3/clusters/${clusterId}/topics/${topic}/records`;
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    const probe = await client.request(
      'POST',
      path,
      headers,
      JSON.stringify({ value: { type: 'BINARY', data: Buffer.from('probe').toString('base64') } }),
    );
    if (probe.status === 404) {
      const reason = `POST /v3/clusters/{c}/topics/{t}/records answered 404 (${probe.text.slice(0, 120)})`;
      return [notAvailable(pair, params, c.recordBytes, reason)];
    }
    if (probe.status >= 300) {
      const reason = `probe answered ${probe.status}: ${probe.text.slice(0, 120)}`;
      return [notAvailable(pair, params, c.recordBytes, reason)];
    }
    const records = makeRecords('binary', c.recordBytes, c.recordsPerRequest);
    const body = records.envelopeValues
      .map((data) => JSON.stringify({ value: { type: 'BINARY', data } }))
      .join('\n');
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
        const text = await client.expect(200, 'POST', path, headers, body);
        const results = splitJsonStream(text) as { error_code?: number; message?: string }[];
        const failed = results.find((r) => r.error_code !== undefined && r.error_code !== 200);
        if (failed !== undefined)
          throw new Error(`record failed: ${failed.message ?? failed.error_code}`);
        return results.length;
      },
    });
    const processes = monitor.end();
    const gateway: RowResult = {
      pair,
      section: 'v3',
      side: 'gateway',
      method: 'HTTP v3 streaming produce',
      params,
      recordBytes: records.storedBytes,
      load,
      ...rates(load, records.storedBytes),
      servedBy: 'producer-gateway',
      processes,
      clientCpuSeconds: clientCpu(),
    };
    const twin = await directProduceRow(ctx, { format: 'binary', ...c }, pair, params);
    return [gateway, { ...twin, section: 'v3' }];
  } finally {
    await client.close();
  }
}

function notAvailable(
  pair: string,
  params: Record<string, string | number>,
  recordBytes: number,
  reason: string,
): RowResult {
  return {
    pair,
    section: 'v3',
    side: 'gateway',
    method: 'HTTP v3 streaming produce',
    params,
    recordBytes,
    load: undefined,
    recordsPerSec: 0,
    mbPerSec: 0,
    servedBy: 'producer-gateway',
    processes: {},
    clientCpuSeconds: 0,
    notAvailable: reason,
  };
}

/** Splits concatenated (or newline-separated) JSON objects, as a v3 streaming answer is. */
export function splitJsonStream(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0 && start >= 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out;
}
