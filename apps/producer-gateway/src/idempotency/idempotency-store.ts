/** A completed request's answer, replayed to a retry carrying the same key and body. */
export interface StoredResponse {
  readonly status: number;
  /** The JSON text of the response body. */
  readonly body: string;
}

/** What a key holds: a request still running (claimed) or its stored answer. */
export type KeyState =
  | { readonly kind: 'pending'; readonly fingerprint: string }
  | { readonly kind: 'done'; readonly fingerprint: string; readonly response: StoredResponse };

/** The outcome of a claim: this request owns the key now (`token` proves it), or it is taken. */
export type Claim = { readonly kind: 'claimed'; readonly token: string } | KeyState;

/**
 * Where idempotency keys live: Redis (shared by every replica) or memory (one process). `key`
 * is already scoped (principal, topic) and hashed by the caller. Failures of a shared store
 * reject with a GatewayError `idempotency_unavailable`.
 */
export interface IdempotencyStore {
  /** Claims `key` for `pendingTtlMs` unless it is held; answers what holds it otherwise. */
  claim(key: string, fingerprint: string, pendingTtlMs: number): Promise<Claim>;
  /** The current state; undefined when free (never claimed, released or expired). */
  get(key: string): Promise<KeyState | undefined>;
  /** Replaces this request's claim with its answer, kept `windowMs` (no-op if the claim lapsed). */
  complete(key: string, token: string, response: StoredResponse, windowMs: number): Promise<void>;
  /** Drops this request's claim (it failed: a retry must run again); no-op if it lapsed. */
  release(key: string, token: string): Promise<void>;
  close(): Promise<void>;
}

/** Injection token of the IdempotencyStore. */
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

interface MemoryEntry {
  readonly state: KeyState;
  readonly token: string | undefined;
  readonly expiresAt: number;
  readonly bytes: number;
}

/** Bytes of bookkeeping counted per entry besides its body (key, fingerprint, object). */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * One process's keys (no REDIS_URL). Bounded: past `maxBytes` of stored answers the oldest keys
 * are dropped (a retry of such a key runs again). Expired keys are dropped when touched and
 * from the oldest end on every write.
 */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, MemoryEntry>();
  private bytes = 0;
  private nextToken = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(key: string, fingerprint: string, pendingTtlMs: number): Promise<Claim> {
    const held = this.live(key);
    if (held !== undefined) return held.state;
    const token = String(++this.nextToken);
    this.put(key, { state: { kind: 'pending', fingerprint }, token, ttlMs: pendingTtlMs });
    return { kind: 'claimed', token };
  }

  async get(key: string): Promise<KeyState | undefined> {
    return this.live(key)?.state;
  }

  async complete(
    key: string,
    token: string,
    response: StoredResponse,
    windowMs: number,
  ): Promise<void> {
    const held = this.live(key);
    if (held?.token !== token) return;
    const state: KeyState = { kind: 'done', fingerprint: held.state.fingerprint, response };
    this.put(key, { state, token: undefined, ttlMs: windowMs });
  }

  async release(key: string, token: string): Promise<void> {
    if (this.live(key)?.token === token) this.remove(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string): MemoryEntry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt > this.now()) return e;
    this.remove(key);
    return undefined;
  }

  private put(key: string, e: { state: KeyState; token: string | undefined; ttlMs: number }): void {
    this.remove(key);
    const body = e.state.kind === 'done' ? e.state.response.body.length : 0;
    const bytes = ENTRY_OVERHEAD_BYTES + key.length + body;
    // Map order is insertion order: the first entries are the oldest.
    this.entries.set(key, {
      state: e.state,
      token: e.token,
      expiresAt: this.now() + e.ttlMs,
      bytes,
    });
    this.bytes += bytes;
    const now = this.now();
    for (const [k, old] of this.entries) {
      if (k === key) break;
      if (this.bytes <= this.maxBytes && old.expiresAt > now) break;
      this.remove(k);
    }
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}
