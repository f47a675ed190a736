import { GatewayError, redisConnectionOptions, type Secret } from '@kafka-gateway/server-kit';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { InstanceRef, Lookup, OwnershipStore } from './ownership-store';

export interface RedisOwnershipOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly replicaId: string;
  readonly internalUrl: string;
  readonly ttlMs: number;
  readonly logger: Logger;
  /** ACL user (`AUTH <username> <password>`). */
  readonly username?: string;
  /** Read again before every reconnect, so a rotated `_FILE` applies without a restart. */
  readonly password?: Secret;
  /** CA for a `rediss://` URL, read on every connect. */
  readonly caFile?: string;
}

/**
 * Redis answers on loopback or in-cluster within milliseconds: a command that takes a second is
 * an outage, and routing answers 503 at once rather than queueing requests behind it.
 */
const REDIS_TIMEOUT_MS = 1000;
/** Reconnect backoff: 100 ms more per attempt, at most a second. */
const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 1000);

/** Owner id and its registered URL in one round trip. */
const LOOKUP = `
local owner = redis.call('GET', KEYS[1])
if not owner then return nil end
return {owner, redis.call('GET', ARGV[1] .. owner)}
`;
/** Claim unless a replica that is still registered owns it. */
const CLAIM = `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. owner) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;
/** Delete only when the record still names the given owner. */
const DELETE_IF = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Ownership in Redis, the only home of ioredis. Keys: `<prefix>replica:<id>` → the replica's
 * internal URL, and `<prefix>instance:<group>/<instance>` → owning replica id; both expire
 * `ttlMs` after the last heartbeat, so a crashed replica's records vanish on their own. Commands
 * fail fast while Redis is unreachable (no offline queue): routing answers 503 at once instead
 * of piling up requests.
 */
export class RedisOwnershipStore implements OwnershipStore {
  readonly shared = true;
  private readonly redis: Redis;
  private readonly listeners: (() => void)[] = [];
  private lastReady = 0;

  constructor(private readonly o: RedisOwnershipOptions) {
    const password = o.password;
    this.redis = new Redis(o.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: REDIS_TIMEOUT_MS,
      commandTimeout: REDIS_TIMEOUT_MS,
      ...redisConnectionOptions(o),
      retryStrategy: (attempt: number) => {
        // ioredis sends AUTH with options.password on each (re)connect
        if (password !== undefined) {
          try {
            this.redis.options.password = password.value();
          } catch (err) {
            o.logger.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'REDIS_PASSWORD_FILE unreadable: keeping the previous password',
            );
          }
        }
        return reconnectDelay(attempt);
      },
    });
    this.redis.on('ready', () => {
      this.lastReady = Date.now();
      o.logger.info('redis connected: registering this replica and its instances');
      for (const l of this.listeners) l();
    });
    this.redis.on('error', (err: Error) => {
      o.logger.debug({ err: err.message }, 'redis error');
    });
    this.redis.on('end', () => o.logger.info('redis connection closed'));
  }

  private instanceKey(ref: InstanceRef): string {
    return `${this.o.keyPrefix}instance:${encodeURIComponent(ref.group)}/${encodeURIComponent(ref.instance)}`;
  }

  private get replicaPrefix(): string {
    return `${this.o.keyPrefix}replica:`;
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new GatewayError(
        'routing_unavailable',
        `Consumer instance routing is unavailable (${what}): ${err instanceof Error ? err.message : String(err)}`,
        { retriable: true, retryAfterSeconds: 1, cause: err },
      );
    }
  }

  claim(ref: InstanceRef): Promise<boolean> {
    return this.run('claim', async () => {
      const r = await this.redis.eval(
        CLAIM,
        1,
        this.instanceKey(ref),
        this.o.replicaId,
        String(this.o.ttlMs),
        this.replicaPrefix,
      );
      return r === 1;
    });
  }

  release(ref: InstanceRef): Promise<void> {
    return this.evict(ref, this.o.replicaId);
  }

  evict(ref: InstanceRef, replicaId: string): Promise<void> {
    return this.run('release', async () => {
      await this.redis.eval(DELETE_IF, 1, this.instanceKey(ref), replicaId);
    });
  }

  lookup(ref: InstanceRef): Promise<Lookup> {
    return this.run('lookup', async () => {
      const r = (await this.redis.eval(LOOKUP, 1, this.instanceKey(ref), this.replicaPrefix)) as
        [string, string | null] | null;
      if (r === null) return { kind: 'none' };
      const [replicaId, url] = r;
      if (url === null || replicaId === this.o.replicaId) {
        // The owner's registration expired (it is gone), or it names us but we do not hold the
        // instance (we restarted): the record is stale.
        await this.redis.eval(DELETE_IF, 1, this.instanceKey(ref), replicaId);
        return { kind: 'none' };
      }
      return { kind: 'owner', owner: { replicaId, url } };
    });
  }

  heartbeat(instances: readonly InstanceRef[]): Promise<void> {
    return this.run('heartbeat', async () => {
      const ttl = this.o.ttlMs;
      const pipeline = this.redis.pipeline();
      pipeline.set(this.replicaPrefix + this.o.replicaId, this.o.internalUrl, 'PX', ttl);
      for (const ref of instances) pipeline.set(this.instanceKey(ref), this.o.replicaId, 'PX', ttl);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err !== null)?.[0];
      if (failed instanceof Error) throw failed;
    });
  }

  onReconnect(listener: () => void): void {
    this.listeners.push(listener);
  }

  status(): { available: boolean; justReconnected: boolean } {
    return {
      available: this.redis.status === 'ready',
      justReconnected: Date.now() - this.lastReady < Math.min(5000, this.o.ttlMs / 3),
    };
  }

  async close(): Promise<void> {
    try {
      await this.redis.eval(
        DELETE_IF,
        1,
        this.replicaPrefix + this.o.replicaId,
        this.o.internalUrl,
      );
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
