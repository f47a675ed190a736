import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { GatewayError, LOGGER, MetricsService } from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';
import { IDEMPOTENCY_STORE, type IdempotencyStore, type StoredResponse } from './idempotency-store';

/** One produce request carrying an Idempotency-Key. */
export interface KeyedRequest {
  /** The raw header value (validated here). */
  readonly key: string;
  /** Keys are scoped per principal and topic: two callers never see each other's answers. */
  readonly principal: string;
  readonly topic: string;
  readonly method: string;
  /** The URL path without its query. */
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: Buffer | undefined;
}

/** What the produce handler answered: its status and its (JSON-serializable) body. */
export interface HandlerAnswer {
  readonly status: number;
  readonly value: unknown;
}

export type IdempotentResult =
  | { readonly kind: 'fresh'; readonly value: unknown }
  | { readonly kind: 'replayed'; readonly response: StoredResponse };

/** First poll of a running duplicate; doubled each time up to the longest. */
const FIRST_POLL_MS = 20;
/** Longest pause between polls: a waiter sees the answer at most this late. */
const LONGEST_POLL_MS = 500;

/** Printable ASCII (space to tilde): what a header value can carry without encoding games. */
const KEY_CHARACTERS = /^[\x20-\x7e]+$/;

/**
 * Idempotent produce: a request with an Idempotency-Key runs once per (principal, topic, key)
 * within the window; a retry with the same body gets the stored answer, a reuse with another
 * body 422/42210. The first request claims the key, a concurrent duplicate waits for its answer.
 * Only 2xx answers are stored: a refused or failed request wrote nothing that a retry could
 * duplicate (or, for a 5xx, may be retried by design), so its claim is dropped and a retry runs.
 */
@Injectable()
export class IdempotencyService {
  private readonly requests;

  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.requests = metrics.counter(
      'kafka_gateway_idempotency_requests_total',
      'Produce requests with an Idempotency-Key, by outcome',
      ['outcome'],
    );
  }

  async run(
    request: KeyedRequest,
    produce: () => Promise<HandlerAnswer>,
  ): Promise<IdempotentResult> {
    const { windowMs, pendingTtlMs } = this.config.idempotency;
    this.checkKey(request.key);
    const id = scopedKey(request);
    const fingerprint = fingerprintOf(request);
    // The claim of a running duplicate lapses after pendingTtlMs: waiting longer is pointless.
    const deadline = Date.now() + pendingTtlMs + LONGEST_POLL_MS;
    let pause = FIRST_POLL_MS;
    let waited = false;
    for (;;) {
      const claim = await this.counted(this.store.claim(id, fingerprint, pendingTtlMs));
      if (claim.kind === 'claimed') return this.runClaimed(id, claim.token, windowMs, produce);
      if (claim.fingerprint !== fingerprint) {
        this.requests.inc({ outcome: 'conflict' });
        throw new GatewayError(
          'idempotency_key_reused',
          'Idempotency-Key was already used for a different request (method, path, Content-Type or body).',
        );
      }
      if (claim.kind === 'done') {
        this.requests.inc({ outcome: waited ? 'waited' : 'replayed' });
        return { kind: 'replayed', response: claim.response };
      }
      if (Date.now() >= deadline) {
        this.requests.inc({ outcome: 'error' });
        throw new GatewayError(
          'idempotency_in_progress',
          'A request with this Idempotency-Key is still in progress.',
          { retriable: true, retryAfterSeconds: 1 },
        );
      }
      waited = true;
      await sleep(pause);
      pause = Math.min(pause * 2, LONGEST_POLL_MS);
    }
  }

  private async runClaimed(
    id: string,
    token: string,
    windowMs: number,
    produce: () => Promise<HandlerAnswer>,
  ): Promise<IdempotentResult> {
    this.requests.inc({ outcome: 'new' });
    let answer: HandlerAnswer;
    try {
      answer = await produce();
    } catch (err) {
      await this.quietly('release', this.store.release(id, token));
      throw err;
    }
    if (answer.status >= 200 && answer.status < 300) {
      const response = { status: answer.status, body: JSON.stringify(answer.value) };
      // Records are written: the answer goes out even if it cannot be stored (the claim then
      // lapses after its TTL and a retry after that produces again: at least once).
      await this.quietly('complete', this.store.complete(id, token, response, windowMs));
    } else {
      await this.quietly('release', this.store.release(id, token));
    }
    return { kind: 'fresh', value: answer.value };
  }

  private async counted<T>(op: Promise<T>): Promise<T> {
    try {
      return await op;
    } catch (err) {
      this.requests.inc({ outcome: 'error' });
      throw err;
    }
  }

  private async quietly(what: string, op: Promise<void>): Promise<void> {
    try {
      await op;
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        `idempotency key ${what} failed: the claim lapses after its TTL`,
      );
    }
  }

  private checkKey(key: string): void {
    const max = this.config.idempotency.maxKeyLength;
    if (key.length === 0 || key.length > max || !KEY_CHARACTERS.test(key)) {
      this.requests.inc({ outcome: 'error' });
      throw new GatewayError(
        'idempotency_key_invalid',
        `Idempotency-Key must be 1 to ${String(max)} printable ASCII characters.`,
      );
    }
  }
}

/** The store key: a hash, so any principal, topic and key give a bounded, safe Redis key. */
function scopedKey(r: KeyedRequest): string {
  return createHash('sha256')
    .update(r.principal)
    .update('\0')
    .update(r.topic)
    .update('\0')
    .update(r.key)
    .digest('hex');
}

/** What makes two requests "the same": method, path, Content-Type and the body bytes. */
function fingerprintOf(r: KeyedRequest): string {
  const h = createHash('sha256')
    .update(r.method)
    .update('\0')
    .update(r.path)
    .update('\0')
    .update(r.contentType ?? '')
    .update('\0');
  if (r.body !== undefined) h.update(r.body);
  return h.digest('hex');
}
