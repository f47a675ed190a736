import type { Logger } from 'pino';
import { isUnknownTopic } from './kafka-errors';

/** Renewals at most this often: a burst of failures shares one fresh client. */
const MIN_RENEWAL_INTERVAL_MS = 3000;
/** The replaced client is closed this long after the swap, so its in-flight requests finish. */
const OLD_CLIENT_GRACE_MS = 10_000;

interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Replaces a kafkajs client that is stuck on a deleted topic (see `isUnknownTopic`): a fresh
 * client is connected, handed to `swap` (which installs it and returns the old one), and the
 * old one is closed once its in-flight requests had time to finish. Concurrent callers share
 * one renewal, and renewals are at least `minIntervalMs` apart.
 */
export class ClientRenewal<C extends Connectable> {
  private inFlight: Promise<boolean> | undefined;
  private last = 0;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly create: () => C,
    private readonly swap: (fresh: C) => C,
    private readonly logger: Logger,
    private readonly minIntervalMs = MIN_RENEWAL_INTERVAL_MS,
  ) {}

  /** Renews the client; answers whether a fresh one is now in place. */
  renew(): Promise<boolean> {
    if (this.inFlight !== undefined) return this.inFlight;
    if (this.stopped || Date.now() - this.last < this.minIntervalMs) return Promise.resolve(false);
    this.last = Date.now();
    const run = (async () => {
      this.logger.warn(
        { client: this.name },
        'replacing the Kafka client (a topic it used is gone)',
      );
      const fresh = this.create();
      await fresh.connect();
      const old = this.swap(fresh);
      setTimeout(() => void old.disconnect().catch(() => undefined), OLD_CLIENT_GRACE_MS).unref();
      return true;
    })()
      .catch((err: unknown) => {
        this.logger.error({ err, client: this.name }, 'replacing the Kafka client failed');
        return false;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    this.inFlight = run;
    return run;
  }

  /** No renewals after shutdown began. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Runs a read-only or idempotent call; when it fails because the client is stuck on a deleted
   * topic, the client is renewed and the call (which must read the current client) tried once more.
   */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!isUnknownTopic(err) || !(await this.renew())) throw err;
      return fn();
    }
  }
}
