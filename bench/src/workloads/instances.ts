import { randomUUID } from 'node:crypto';
import type { BenchContext } from '../context';
import { HttpClient } from '../http-client';
import { sampleProcess } from '../proc';
import { LatencyRecorder, type LatencySummary, median } from '../stats';

/**
 * Memory per consumer instance: RSS of the consumer-gateway process before, with `count` idle
 * instances (created, never subscribed), and after deleting them. The RSS figures are medians
 * of a few samples taken after a pause, since RSS moves with garbage collection.
 */
export interface InstancesResult {
  readonly requested: number;
  readonly created: number;
  /** why creation stopped early (e.g. the per-replica cap), if it did */
  readonly stoppedBecause: string | undefined;
  readonly rssBeforeMB: number;
  readonly rssWithInstancesMB: number;
  readonly rssAfterDeleteMB: number;
  readonly perInstanceKB: number;
  /**
   * V8 heap in use (the gateway's own `nodejs_heap_size_used_bytes`) with the instances minus
   * before, per instance: less noisy than RSS, but it includes garbage not yet collected.
   */
  readonly heapPerInstanceKB: number | undefined;
  readonly createLatency: LatencySummary | undefined;
  readonly deleted: number;
  readonly target: string;
}

const V2 = 'application/vnd.kafka.v2+json';
const MB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `nodejs_heap_size_used_bytes` from the consumer gateway's /metrics, if reachable. */
async function heapUsed(metricsUrl: string | undefined): Promise<number | undefined> {
  if (metricsUrl === undefined) return undefined;
  try {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(text);
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

async function settledRss(pid: number): Promise<number> {
  await sleep(1000);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = sampleProcess(pid);
    if (s !== undefined) samples.push(s.rssBytes);
    await sleep(200);
  }
  return samples.length === 0 ? 0 : median(samples);
}

export async function measureInstances(
  ctx: BenchContext,
  count: number,
): Promise<InstancesResult | { skipped: string }> {
  const pid = ctx.stack.pids.get('consumer-gateway');
  if (pid === undefined) return { skipped: 'no consumer-gateway pid in the stack run directory' };
  const concurrency = 16;
  const client = new HttpClient(ctx.consumerBase, concurrency);
  const group = `bench-${ctx.options.runId}-mem-${randomUUID().slice(0, 6)}`;
  const names: string[] = [];
  const latency = new LatencyRecorder();
  let stoppedBecause: string | undefined;
  try {
    const before = await settledRss(pid);
    const heapBefore = await heapUsed(ctx.stack.consumerMetricsUrl);
    let next = 0;
    const create = async (): Promise<void> => {
      while (stoppedBecause === undefined) {
        const i = next++;
        if (i >= count) return;
        const name = `idle-${i}`;
        const t = performance.now();
        const res = await client.request(
          'POST',
          `/consumers/${group}`,
          { 'content-type': V2 },
          JSON.stringify({ name, format: 'binary' }),
        );
        latency.add(performance.now() - t);
        if (res.status === 200) names.push(name);
        else stoppedBecause = `create #${i} answered ${res.status}: ${res.text.slice(0, 200)}`;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, create));
    const withInstances = await settledRss(pid);
    const heapWith = await heapUsed(ctx.stack.consumerMetricsUrl);
    let deleted = 0;
    const queue = [...names];
    const remove = async (): Promise<void> => {
      for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
        const res = await client.request('DELETE', `/consumers/${group}/instances/${name}`, {
          'content-type': V2,
        });
        if (res.status === 204) deleted++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, remove));
    const after = await settledRss(pid);
    return {
      requested: count,
      created: names.length,
      stoppedBecause,
      rssBeforeMB: before / MB,
      rssWithInstancesMB: withInstances / MB,
      rssAfterDeleteMB: after / MB,
      perInstanceKB: names.length === 0 ? 0 : (withInstances - before) / 1024 / names.length,
      heapPerInstanceKB:
        heapBefore === undefined || heapWith === undefined || names.length === 0
          ? undefined
          : (heapWith - heapBefore) / 1024 / names.length,
      createLatency: latency.summary(),
      deleted,
      target: ctx.consumerBase,
    };
  } finally {
    await client.close();
  }
}
