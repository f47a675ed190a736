/**
 * A token bucket: `capacity` tokens at most, refilled at `ratePerSecond`. Time is read from the
 * caller (milliseconds from any monotonic origin) so the bucket is pure and testable.
 *
 * A cost larger than the whole bucket would never fit, so a request is admitted once the bucket
 * holds `min(cost, capacity)` tokens and then takes its full cost: the balance may go negative
 * (debt) and later requests wait until it is paid back. That is also how bytes that are only
 * known afterwards (a fetch's response) are accounted: `charge` them, and `admit(0)` refuses
 * while the bucket is in debt.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private ratePerSecond: number,
    private capacity: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.last = nowMs;
  }

  /** 0 when admitted (the cost is taken); otherwise the milliseconds until it would be. */
  admit(cost: number, nowMs: number): number {
    const wait = this.waitMs(cost, nowMs);
    if (wait === 0) this.tokens -= cost;
    return wait;
  }

  /** The milliseconds until `cost` would be admitted (0: now), without taking anything. */
  waitMs(cost: number, nowMs: number): number {
    this.refill(nowMs);
    const need = Math.min(cost, this.capacity);
    if (this.tokens >= need) return 0;
    return Math.ceil(((need - this.tokens) / this.ratePerSecond) * 1000);
  }

  /** Takes `cost` unconditionally (bytes already served). */
  charge(cost: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens -= cost;
  }

  /** Full again: forgetting the bucket loses nothing (a new one starts full). */
  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.capacity;
  }

  /** New limits (the quota file changed); the balance is kept, capped at the new capacity. */
  reconfigure(ratePerSecond: number, capacity: number, nowMs: number): void {
    this.refill(nowMs);
    this.ratePerSecond = ratePerSecond;
    this.capacity = capacity;
    this.tokens = Math.min(this.tokens, capacity);
  }

  private refill(nowMs: number): void {
    const elapsed = nowMs - this.last;
    if (elapsed <= 0) return;
    this.last = nowMs;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.ratePerSecond);
  }
}

/** Retry-After in whole seconds (at least 1: `Retry-After: 0` invites a busy loop). */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
