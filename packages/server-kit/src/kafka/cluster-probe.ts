import type { Logger } from 'pino';

/** How often a connected client asks the cluster whether it still answers. */
export const CLUSTER_PROBE_MS = 5000;
/** A probe not answered within this long counts as a failure (kafkajs itself retries for longer). */
export const CLUSTER_PROBE_TIMEOUT_MS = 4000;

/**
 * Whether the Kafka cluster still answers, found by asking it periodically. kafkajs emits no
 * disconnect event when every broker dies under a connected client, so its connected flag alone
 * keeps `/readyz` green through a full outage; this turns it red within one probe interval plus
 * the probe timeout, and green again at the first answer. One probe at a time.
 */
export class ClusterProbe {
  private reachable = true;
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ask: () => Promise<unknown>,
    private readonly logger: Logger,
    private readonly timeoutMs = CLUSTER_PROBE_TIMEOUT_MS,
  ) {}

  /** False after a probe failed or timed out, until one succeeds. */
  isReachable(): boolean {
    return this.reachable;
  }

  start(intervalMs = CLUSTER_PROBE_MS): void {
    this.timer ??= setInterval(() => void this.probe(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One probe (also what the timer runs); resolves once it is decided. */
  async probe(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.ask(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer')), this.timeoutMs);
        }),
      ]);
      if (!this.reachable) this.logger.info('Kafka answers again');
      this.reachable = true;
    } catch (err) {
      if (this.reachable)
        this.logger.warn({ err: (err as Error).message }, 'Kafka does not answer: not ready');
      this.reachable = false;
    } finally {
      clearTimeout(timer);
      this.inFlight = false;
    }
  }
}
