import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { PrincipalLimits, QuotaConfig, RateLimit } from '../config/edge.config';
import type { MetricsService } from '../metrics/metrics.service';
import { QuotaFile, type QuotaOverrides } from './quota-file';
import { TokenBucket } from './token-bucket';

/** The quotas, as the `quota` label of kafka_gateway_quota_refusals_total names them. */
export type QuotaName = 'global_requests' | 'produce_requests' | 'produce_bytes' | 'fetch_bytes';

/**
 * How often buckets of idle principals are dropped. Only full buckets are dropped (a new one
 * starts full, so nothing is forgiven), which bounds memory by the principals active within
 * about this long plus the time their buckets take to refill.
 */
export const QUOTA_SWEEP_MS = 30_000;

interface PrincipalBuckets {
  generation: number;
  produceRequests: TokenBucket | undefined;
  produceBytes: TokenBucket | undefined;
  fetchBytes: TokenBucket | undefined;
}

type BucketField = keyof PrincipalLimits;
const FIELDS: readonly BucketField[] = ['produceRequests', 'produceBytes', 'fetchBytes'];

/**
 * Token buckets per principal (produce requests/s, produce bytes/s, fetched bytes/s) and one for
 * every request of this replica. Limits are per replica: N replicas admit N times the limit.
 * Wait times are milliseconds; 0 means admitted.
 */
export class QuotaService {
  private readonly principals = new Map<string, PrincipalBuckets>();
  private readonly global: TokenBucket | undefined;
  private overrides: QuotaOverrides = new Map();
  private generation = 0;
  private readonly file: QuotaFile | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly refusals: Counter<'quota'>;

  constructor(
    private readonly config: QuotaConfig,
    metrics: MetricsService,
    logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.refusals = metrics.counter(
      'kafka_gateway_quota_refusals_total',
      'Requests (and streamed records) refused with 429 because a quota was exceeded',
      ['quota'],
    );
    this.global =
      config.globalRequests === undefined ? undefined : bucket(config.globalRequests, now());
    this.file =
      config.file === undefined
        ? undefined
        : new QuotaFile(config.file, logger, (o) => this.setOverrides(o));
  }

  /** Starts the sweep of idle buckets and the quota file's watch. */
  start(): void {
    this.sweeper = setInterval(() => this.sweep(), QUOTA_SWEEP_MS);
    this.sweeper.unref();
    this.file?.watch();
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.file?.close();
  }

  get hasGlobalLimit(): boolean {
    return this.global !== undefined;
  }

  /** Whether any principal can have a quota (defaults or the file): else no middleware at all. */
  get hasPrincipalQuotas(): boolean {
    const d = this.config.defaults;
    return (
      this.config.file !== undefined ||
      d.produceRequests !== undefined ||
      d.produceBytes !== undefined ||
      d.fetchBytes !== undefined
    );
  }

  /** New per-principal overrides (the quota file changed): buckets adopt them on next use. */
  setOverrides(overrides: QuotaOverrides): void {
    this.overrides = overrides;
    this.generation++;
  }

  admitGlobal(): number {
    return this.global?.admit(1, this.now()) ?? 0;
  }

  /**
   * One produce request of `bytes` (undefined: not known yet, only refused while in debt). Both
   * quotas are checked before either is taken, so a refusal costs the principal nothing.
   */
  admitProduce(
    principal: string,
    bytes: number | undefined,
  ): { quota: QuotaName; waitMs: number } | undefined {
    const b = this.bucketsOf(principal);
    const now = this.now();
    const requestWait = b.produceRequests?.waitMs(1, now) ?? 0;
    if (requestWait > 0) return { quota: 'produce_requests', waitMs: requestWait };
    const bytesWait = b.produceBytes?.waitMs(bytes ?? 0, now) ?? 0;
    if (bytesWait > 0) return { quota: 'produce_bytes', waitMs: bytesWait };
    b.produceRequests?.admit(1, now);
    if (bytes !== undefined) b.produceBytes?.admit(bytes, now);
    return undefined;
  }

  /** Whether this principal has a produce-bytes quota (a byte meter is only set up then). */
  limitsProduceBytes(principal: string): boolean {
    return this.bucketsOf(principal).produceBytes !== undefined;
  }

  /** Bytes of one record or one body read after admission: 0 when admitted (and taken). */
  admitProduceBytes(principal: string, bytes: number): number {
    return this.bucketsOf(principal).produceBytes?.admit(bytes, this.now()) ?? 0;
  }

  limitsFetchBytes(principal: string): boolean {
    return this.bucketsOf(principal).fetchBytes !== undefined;
  }

  /** A fetch is refused while the principal is in debt for bytes already returned. */
  fetchWait(principal: string): number {
    return this.bucketsOf(principal).fetchBytes?.waitMs(0, this.now()) ?? 0;
  }

  chargeFetch(principal: string, bytes: number): void {
    this.bucketsOf(principal).fetchBytes?.charge(bytes, this.now());
  }

  countRefusal(quota: QuotaName): void {
    this.refusals.inc({ quota });
  }

  /** Principals whose buckets are held (for tests and the eviction bound). */
  get trackedPrincipals(): number {
    return this.principals.size;
  }

  /** Drops the buckets that are full again: a new bucket starts full, so nothing is forgiven. */
  sweep(): void {
    const now = this.now();
    for (const [name, b] of this.principals) {
      const full = FIELDS.every((f) => b[f]?.isFull(now) ?? true);
      if (full) this.principals.delete(name);
    }
  }

  private bucketsOf(principal: string): PrincipalBuckets {
    let b = this.principals.get(principal);
    if (b !== undefined && b.generation === this.generation) return b;
    const limits = this.limitsOf(principal);
    const now = this.now();
    if (b === undefined) {
      b = {
        generation: this.generation,
        produceRequests: optionalBucket(limits.produceRequests, now),
        produceBytes: optionalBucket(limits.produceBytes, now),
        fetchBytes: optionalBucket(limits.fetchBytes, now),
      };
      this.principals.set(principal, b);
      return b;
    }
    // the quota file changed: keep balances (a principal in debt stays in debt), adopt limits
    for (const f of FIELDS) {
      const limit = limits[f];
      const existing = b[f];
      if (limit === undefined) b[f] = undefined;
      else if (existing === undefined) b[f] = bucket(limit, now);
      else existing.reconfigure(limit.perSecond, limit.burst, now);
    }
    b.generation = this.generation;
    return b;
  }

  private limitsOf(principal: string): PrincipalLimits {
    const o = this.overrides.get(principal);
    const d = this.config.defaults;
    if (o === undefined) return d;
    const pick = (f: BucketField): RateLimit | undefined => {
      const v = o[f];
      return v === undefined ? d[f] : (v ?? undefined);
    };
    return {
      produceRequests: pick('produceRequests'),
      produceBytes: pick('produceBytes'),
      fetchBytes: pick('fetchBytes'),
    };
  }
}

function bucket(limit: RateLimit, now: number): TokenBucket {
  return new TokenBucket(limit.perSecond, limit.burst, now);
}

function optionalBucket(limit: RateLimit | undefined, now: number): TokenBucket | undefined {
  return limit === undefined ? undefined : bucket(limit, now);
}
