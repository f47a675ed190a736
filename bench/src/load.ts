import { LatencyRecorder, type LatencySummary } from './stats';

/**
 * A closed-loop load: `concurrency` workers each issue one operation, wait for its answer, and
 * issue the next, for warm-up plus the measured window. Only operations that start inside the
 * window count; the window closes when the last of them completes. The HTTP rows and their
 * kafkajs twins run through this same loop, so the two sides differ only in the operation.
 */
export interface LoadOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One request or send; resolves to the number of records it carried successfully. */
  readonly op: (worker: number) => Promise<number>;
  /** Called when the measured window opens (start CPU/RSS sampling there). */
  readonly onWindowStart?: () => void;
}

export interface LoadResult {
  readonly ops: number;
  readonly records: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly elapsedMs: number;
  readonly latency: LatencySummary | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function closedLoop(options: LoadOptions): Promise<LoadResult> {
  const latency = new LatencyRecorder();
  const t0 = performance.now();
  const windowStart = t0 + options.warmupMs;
  const windowEnd = windowStart + options.durationMs;
  let windowOpened = false;
  let lastCompletion = windowStart;
  let ops = 0;
  let records = 0;
  let errors = 0;
  let firstError: string | undefined;

  const openWindow = (): void => {
    if (windowOpened) return;
    windowOpened = true;
    options.onWindowStart?.();
  };
  const timer = setTimeout(openWindow, Math.max(0, windowStart - performance.now()));

  const worker = async (w: number): Promise<void> => {
    for (;;) {
      const started = performance.now();
      if (started >= windowEnd) return;
      const counted = started >= windowStart;
      if (counted) openWindow();
      let n = 0;
      let failed = false;
      try {
        n = await options.op(w);
      } catch (err) {
        failed = true;
        if (counted) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
      const done = performance.now();
      if (counted) {
        ops++;
        records += n;
        latency.add(done - started);
        if (done > lastCompletion) lastCompletion = done;
      }
      // an error answered at once must not turn the loop into a busy spin
      if (failed) await sleep(10);
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  } finally {
    clearTimeout(timer);
  }
  openWindow();
  return {
    ops,
    records,
    errors,
    firstError,
    elapsedMs: lastCompletion - windowStart,
    latency: latency.summary(),
  };
}
