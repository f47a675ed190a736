import { randomBytes } from 'node:crypto';
import {
  GatewayError,
  type RedisConnectionConfig,
  redisConnectionOptions,
} from '@kafka-gateway/server-kit';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Claim, IdempotencyStore, KeyState, StoredResponse } from './idempotency-store';

/**
 * Redis answers in-cluster within milliseconds: a command that takes a second is an outage, and
 * a keyed produce answers 503 at once rather than waiting behind it (and never produces unchecked).
 */
const REDIS_TIMEOUT_MS = 1000;
/** Reconnect backoff: 100 ms more per attempt, at most a second. */
const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 1000);

/*
 * Values: `p|<token>|<fingerprint>` while the claiming request runs (expires after the pending
 * TTL), `d|<fingerprint>|<status>|<body JSON>` once it answered (expires after the window). The
 * fingerprint is hex and the token base64url, so `|` separates them unambiguously.
 */
const PENDING = 'p';
const DONE = 'd';

/** Replace the claim by the answer only while this request still holds the claim. */
const COMPLETE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;
/** Delete only this request's own claim. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Idempotency keys in Redis, shared by every producer replica: a claim is `SET NX PX`, so of two
 * concurrent requests with one key exactly one runs. Commands fail fast while Redis is
 * unreachable (no offline queue): the request is refused with a retriable 503.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  /** The claims this process made: token → pending value (what COMPLETE/RELEASE compare). */
  private readonly pending = new Map<string, string>();

  constructor(config: RedisConnectionConfig, logger: Logger) {
    this.prefix = `${config.keyPrefix}idempotency:`;
    const password = config.password;
    this.redis = new Redis(config.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: REDIS_TIMEOUT_MS,
      commandTimeout: REDIS_TIMEOUT_MS,
      ...redisConnectionOptions(config),
      retryStrategy: (attempt: number) => {
        // ioredis sends AUTH with options.password on each (re)connect: a rotated file applies
        if (password !== undefined) {
          try {
            this.redis.options.password = password.value();
          } catch (err) {
            logger.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'REDIS_PASSWORD_FILE unreadable: keeping the previous password',
            );
          }
        }
        return reconnectDelay(attempt);
      },
    });
    this.redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error'));
  }

  claim(key: string, fingerprint: string, pendingTtlMs: number): Promise<Claim> {
    return this.run('claim', async () => {
      const token = randomBytes(12).toString('base64url');
      const value = `${PENDING}|${token}|${fingerprint}`;
      const set = await this.redis.set(this.prefix + key, value, 'PX', pendingTtlMs, 'NX');
      if (set === 'OK') {
        this.pending.set(token, value);
        return { kind: 'claimed', token };
      }
      const held = parse(await this.redis.get(this.prefix + key));
      // released or expired between the two commands: the caller claims again
      return held ?? { kind: 'pending', fingerprint };
    });
  }

  get(key: string): Promise<KeyState | undefined> {
    return this.run('get', async () => parse(await this.redis.get(this.prefix + key)));
  }

  complete(key: string, token: string, response: StoredResponse, windowMs: number): Promise<void> {
    const value = this.pending.get(token);
    if (value === undefined) return Promise.resolve();
    this.pending.delete(token);
    const fingerprint = value.slice(value.lastIndexOf('|') + 1);
    const done = `${DONE}|${fingerprint}|${String(response.status)}|${response.body}`;
    return this.run('complete', async () => {
      await this.redis.eval(COMPLETE, 1, this.prefix + key, value, done, String(windowMs));
    });
  }

  release(key: string, token: string): Promise<void> {
    const value = this.pending.get(token);
    if (value === undefined) return Promise.resolve();
    this.pending.delete(token);
    return this.run('release', async () => {
      await this.redis.eval(RELEASE, 1, this.prefix + key, value);
    });
  }

  private connected(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new Error(`not connected (${this.redis.status})`));
      }, REDIS_TIMEOUT_MS);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      // Just started or reconnecting: wait for the connection as long as a command may take
      // (without an offline queue a command would fail at once).
      if (this.redis.status !== 'ready') await this.connected();
      return await op();
    } catch (err) {
      throw new GatewayError(
        'idempotency_unavailable',
        `Idempotency keys are unavailable (${what}): ${err instanceof Error ? err.message : String(err)}`,
        { retriable: true, retryAfterSeconds: 1, cause: err },
      );
    }
  }
}

function parse(value: string | null): KeyState | undefined {
  if (value === null) return undefined;
  const first = value.indexOf('|');
  const second = value.indexOf('|', first + 1);
  if (value.startsWith(PENDING)) return { kind: 'pending', fingerprint: value.slice(second + 1) };
  const third = value.indexOf('|', second + 1);
  return {
    kind: 'done',
    fingerprint: value.slice(first + 1, second),
    response: { status: Number(value.slice(second + 1, third)), body: value.slice(third + 1) },
  };
}
