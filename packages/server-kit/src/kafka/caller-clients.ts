import { createHmac, randomBytes } from 'node:crypto';
import type { CallerCredential, Principal } from '../auth/principal';
import type { PropagationConfig } from '../config/propagation.config';
import { Errors } from '../errors/gateway-errors';

/** Why a per-caller client left the cache (a bounded label). */
export type EvictionReason = 'lru' | 'idle' | 'expired' | 'failed' | 'broken' | 'shutdown';

/** What the cache needs of a client: kafkajs producers and admins, or a wrapper around one. */
export interface CallerClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface CallerClientCacheOptions {
  /** Most clients kept; the least recently used is evicted past it. */
  readonly maxClients: number;
  /** A client unused this long is evicted by `sweep`. */
  readonly idleMs: number;
  /** The clock (a fake one in tests). */
  readonly now?: () => number;
  /** Told of every eviction (metrics). */
  readonly onEvict?: (reason: EvictionReason) => void;
}

interface Slot<C> {
  readonly key: string;
  readonly client: C;
  /** The connection; a failed one removes the slot, so the next call tries a fresh client. */
  readonly ready: Promise<void>;
  /** When the caller's bearer token expires (Infinity for a password). */
  readonly expiresAtMs: number;
  lastUsedMs: number;
  inFlight: number;
  retired: boolean;
}

/** Length of the credential fingerprint in the key: 128 bits of HMAC-SHA256. */
const FINGERPRINT_CHARS = 22;

/**
 * Kafka clients that authenticate as the caller (principal propagation), one per principal and
 * credential, in a bounded cache: least recently used out past `maxClients`, out when idle for
 * `idleMs`, and out when the caller's bearer token expired. The key is the principal's name and
 * an HMAC of its credential under a key made at start (never the secret itself), so a changed
 * password or a new token never reuses a client that logged in with the old one. An evicted
 * client leaves the cache at once and disconnects once its in-flight calls are done.
 */
export class CallerClientCache<C extends CallerClient> {
  private readonly slots = new Map<string, Slot<C>>(); // insertion order = least recent first
  private readonly hmacKey = randomBytes(32);
  private readonly closing = new Set<Promise<void>>();
  private readonly now: () => number;
  private stopped = false;

  constructor(
    private readonly create: (credential: CallerCredential) => C,
    private readonly options: CallerClientCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Clients in the cache (evicted ones still finishing their calls not counted). */
  size(): number {
    return this.slots.size;
  }

  /**
   * Runs `fn` on the caller's client, connecting it first when it is new. A connection that
   * fails removes the client (and rethrows), so the caller's next request starts afresh.
   */
  async use<T>(
    principal: Principal,
    credential: CallerCredential,
    fn: (client: C) => Promise<T>,
  ): Promise<T> {
    const slot = this.acquire(principal, credential);
    slot.inFlight++;
    try {
      try {
        await slot.ready;
      } catch (err) {
        this.evict(slot, 'failed');
        throw err;
      }
      return await fn(slot.client);
    } finally {
      slot.inFlight--;
      slot.lastUsedMs = this.now();
      if (slot.retired && slot.inFlight === 0) this.close(slot);
    }
  }

  /**
   * Takes a client out of service, e.g. one kafkajs left unusable after a failure: the caller's
   * next request gets a fresh client; this one closes after its in-flight calls.
   */
  discard(client: C, reason: EvictionReason = 'broken'): void {
    for (const slot of this.slots.values()) {
      if (slot.client === client) {
        this.evict(slot, reason);
        return;
      }
    }
  }

  /** Evicts idle clients and those whose bearer token expired. Called periodically. */
  sweep(): void {
    const now = this.now();
    for (const slot of [...this.slots.values()]) {
      if (now >= slot.expiresAtMs) this.evict(slot, 'expired');
      else if (slot.inFlight === 0 && now - slot.lastUsedMs >= this.options.idleMs)
        this.evict(slot, 'idle');
    }
  }

  /** Evicts everything and waits for every client to disconnect (shutdown). */
  async closeAll(): Promise<void> {
    this.stopped = true;
    for (const slot of [...this.slots.values()]) this.evict(slot, 'shutdown');
    await Promise.allSettled([...this.closing]);
  }

  private acquire(principal: Principal, credential: CallerCredential): Slot<C> {
    if (this.stopped) throw Errors.kafkaUnavailable();
    const key = `${principal.name}\u0000${this.fingerprint(credential)}`;
    const now = this.now();
    const hit = this.slots.get(key);
    if (hit !== undefined) {
      if (now < hit.expiresAtMs) {
        this.slots.delete(key); // most recently used goes last
        this.slots.set(key, hit);
        hit.lastUsedMs = now;
        return hit;
      }
      this.evict(hit, 'expired');
    }
    const client = this.create(credential);
    const ready = client.connect();
    ready.catch(() => undefined); // awaited by `use`; never an unhandled rejection
    const slot: Slot<C> = {
      key,
      client,
      ready,
      expiresAtMs: credential.kind === 'bearer' ? credential.expiresAtMs : Infinity,
      lastUsedMs: now,
      inFlight: 0,
      retired: false,
    };
    this.slots.set(key, slot);
    while (this.slots.size > this.options.maxClients) {
      const oldest = this.slots.values().next().value!;
      this.evict(oldest, 'lru');
    }
    return slot;
  }

  private fingerprint(credential: CallerCredential): string {
    const h = createHmac('sha256', this.hmacKey);
    if (credential.kind === 'password') {
      h.update(`password\u0000${credential.username}\u0000${credential.password.value()}`);
    } else {
      h.update(`bearer\u0000${credential.token.value()}`);
    }
    return h.digest('base64url').slice(0, FINGERPRINT_CHARS);
  }

  private evict(slot: Slot<C>, reason: EvictionReason): void {
    if (slot.retired) return;
    slot.retired = true;
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
    this.options.onEvict?.(reason);
    if (slot.inFlight === 0) this.close(slot);
  }

  private close(slot: Slot<C>): void {
    const done = slot.ready
      .catch(() => undefined)
      .then(() => slot.client.disconnect())
      .catch(() => undefined)
      .finally(() => this.closing.delete(done));
    this.closing.add(done);
  }
}

/** Who Kafka work runs as under principal propagation: the principal and what it presented. */
export interface KafkaCaller {
  readonly principal: Principal;
  readonly credential: CallerCredential;
}

/**
 * Who a request's Kafka work runs as: undefined = the gateway's own identity, else the caller
 * (see `propagatedCredential`, which also refuses callers without a credential).
 */
export function propagatedCaller(
  principal: Principal,
  propagation: PropagationConfig,
): KafkaCaller | undefined {
  const credential = propagatedCredential(principal, propagation);
  return credential === undefined ? undefined : { principal, credential };
}

/**
 * The credential a request's Kafka work runs with: undefined = the gateway's own identity
 * (propagation off, or a caller without a credential under fallback `gateway`). With propagation
 * on and fallback `refuse`, a caller without a usable credential (anonymous, mTLS) is refused
 * with 401/40101.
 */
export function propagatedCredential(
  principal: Principal,
  propagation: PropagationConfig,
): CallerCredential | undefined {
  if (!propagation.enabled) return undefined;
  if (principal.credential !== undefined) return principal.credential;
  if (propagation.fallback === 'gateway') return undefined;
  throw Errors.unauthenticated();
}
