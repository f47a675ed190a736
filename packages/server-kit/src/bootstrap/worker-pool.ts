import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { CommonConfig } from '../config/common.config';
import { ReadinessService } from '../health/readiness.service';
import { ManagementServer } from '../management/management-server';
import { MetricsService } from '../metrics/metrics.service';

/** How often a worker reports its readiness to the primary (and at every change). */
const READINESS_REPORT_MS = 1000;
/** A worker that has not reported for this long counts as not ready. */
const READINESS_STALE_MS = 5000;
/** Longest wait for the workers' metrics at a scrape; a slow worker is left out of it. */
const METRICS_GATHER_TIMEOUT_MS = 2000;
/** Pause before a crashed worker is replaced (a crash loop costs one fork per second). */
const RESPAWN_DELAY_MS = 1000;

const METRICS_REQ = 'kafka-gateway:metrics-req';
const METRICS_RES = 'kafka-gateway:metrics-res';
const READINESS = 'kafka-gateway:readiness';

/** One process's metrics as prom-client serialises them for aggregation. */
type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type Report = { ready: boolean; checks: Record<string, boolean> };
type WorkerMessage =
  | { type: typeof METRICS_RES; id: number; metrics: MetricsJson }
  | { type: typeof READINESS; report: Report };

function isWorkerMessage(m: unknown): m is WorkerMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    'type' in m &&
    (m.type === METRICS_RES || m.type === READINESS)
  );
}

/**
 * `HTTP_WORKERS` > 1: this process is the pod's primary. It forks the workers (each a whole
 * gateway sharing the public port through node:cluster), replaces crashed ones, serves the
 * management port for the pod (metrics summed over the workers, readiness = every worker
 * ready), and on SIGTERM/SIGINT lets every worker drain before it exits.
 */
export async function runPrimary(options: {
  service: string;
  workers: number;
  config: CommonConfig;
  logger: Logger;
}): Promise<void> {
  const { workers, config, logger } = options;
  const metrics = new PodMetrics(options.service);
  const readiness = new PrimaryReadiness(workers);
  let stopping = false;

  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === READINESS) readiness.update(worker.id, m.report);
      else metrics.received(m.id, m.metrics);
    });
  };
  cluster.on('exit', (worker: Worker, code, signal) => {
    readiness.remove(worker.id);
    if (stopping) return;
    logger.error({ worker: worker.id, code, signal }, 'worker exited; starting a new one');
    setTimeout(fork, RESPAWN_DELAY_MS).unref();
  });
  for (let i = 0; i < workers; i++) fork();

  const management = new ManagementServer(metrics, readiness, logger);
  const managementPort = await management.listen(config.metrics.host, config.metrics.port);
  logger.info({ workers, managementPort, port: config.http.port }, 'primary started');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      readiness.markShuttingDown();
      logger.info({ signal }, 'stopping: every worker drains its requests');
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      const hardStop = setTimeout(() => {
        logger.error('workers did not stop in time; exiting');
        process.exit(1);
      }, config.http.shutdownTimeoutMs + 15_000);
      hardStop.unref();
      const waitForWorkers = (): void => {
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          void management.close().then(() => process.exit(0));
        } else setTimeout(waitForWorkers, 100);
      };
      waitForWorkers();
    });
  }
}

/** In a worker: answers the primary's metrics requests and reports readiness. */
export function serveWorker(metrics: MetricsService, readiness: ReadinessService): void {
  const send = (message: WorkerMessage): void => {
    if (process.connected) process.send?.(message);
  };
  process.on('message', (m: unknown) => {
    if (typeof m !== 'object' || m === null || !('type' in m) || m.type !== METRICS_REQ) return;
    const id = 'id' in m && typeof m.id === 'number' ? m.id : -1;
    void metrics.registry
      .getMetricsAsJSON()
      .then((json) => send({ type: METRICS_RES, id, metrics: json }));
  });
  const report = (): void => send({ type: READINESS, report: readiness.report() });
  report();
  setInterval(report, READINESS_REPORT_MS).unref();
}

/** The pod's metrics: the primary's own (process, event loop) summed with every worker's. */
export class PodMetrics extends MetricsService {
  private readonly gathering = new Map<
    number,
    { parts: MetricsJson[]; left: number; done: () => void }
  >();
  private nextId = 0;

  received(id: number, metrics: MetricsJson): void {
    const gather = this.gathering.get(id);
    if (gather === undefined) return; // answered after the scrape gave up on it
    gather.parts.push(metrics);
    if (--gather.left === 0) gather.done();
  }

  override async render(): Promise<{ contentType: string; body: string }> {
    const id = this.nextId++;
    const live = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => w !== undefined && w.isConnected(),
    );
    const parts: MetricsJson[] = [await this.registry.getMetricsAsJSON()];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, METRICS_GATHER_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.gathering.set(id, { parts, left: live.length, done });
      if (live.length === 0) done();
      for (const w of live) w.send({ type: METRICS_REQ, id });
    });
    this.gathering.delete(id);
    const registry = AggregatorRegistry.aggregate(parts);
    return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: await registry.metrics() };
  }
}

/** The pod's readiness: every one of the expected workers reported ready, recently. */
export class PrimaryReadiness extends ReadinessService {
  private readonly reports = new Map<number, { report: Report; at: number }>();

  constructor(
    private readonly expected: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  update(worker: number, report: Report): void {
    this.reports.set(worker, { report, at: this.now() });
  }

  remove(worker: number): void {
    this.reports.delete(worker);
  }

  override report(): Report {
    const checks: Record<string, boolean> = {};
    const fresh = [...this.reports.values()].filter((r) => this.now() - r.at < READINESS_STALE_MS);
    for (const { report } of fresh)
      for (const [name, ok] of Object.entries(report.checks))
        checks[name] = (checks[name] ?? true) && ok;
    checks['workers'] = fresh.length >= this.expected;
    checks['accepting'] = !this.isShuttingDown() && (checks['accepting'] ?? true);
    const ready = Object.values(checks).every(Boolean);
    return { ready, checks };
  }
}
