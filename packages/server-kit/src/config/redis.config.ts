import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { EnvReader } from './env-reader';
import type { Secret } from './secret';

/** How a gateway reaches the shared Redis (scale-out state of both apps). */
export interface RedisConnectionConfig {
  readonly url: string;
  /** Prefix of every Redis key this gateway writes. */
  readonly keyPrefix: string;
  /** ACL user and password (`AUTH <user> <password>`); a user in the URL works too. */
  readonly username: string | undefined;
  readonly password: Secret | undefined;
  /** With a `rediss://` URL: the CA to trust instead of the system's (re-read on reconnect). */
  readonly caFile: string | undefined;
}

/**
 * REDIS_URL, REDIS_KEY_PREFIX, REDIS_USERNAME, REDIS_PASSWORD(_FILE) and REDIS_SSL_CA_LOCATION,
 * with every inconsistency reported; undefined when REDIS_URL is unset.
 */
export function readRedisConnection(r: EnvReader): RedisConnectionConfig | undefined {
  const url = r.url('REDIS_URL');
  const keyPrefix = r.string('REDIS_KEY_PREFIX', 'kafka-gateway:');
  const username = r.optionalString('REDIS_USERNAME');
  const password = r.secret('REDIS_PASSWORD');
  const caFile = r.file('REDIS_SSL_CA_LOCATION');
  const parsed = url !== undefined && URL.canParse(url) ? new URL(url) : undefined;
  if (url === undefined) {
    if (username !== undefined || password !== undefined || caFile !== undefined) {
      r.problem('REDIS_USERNAME, REDIS_PASSWORD and REDIS_SSL_CA_LOCATION need REDIS_URL');
    }
  } else if (parsed !== undefined) {
    if (caFile !== undefined && parsed.protocol !== 'rediss:') {
      r.problem('REDIS_SSL_CA_LOCATION is set but REDIS_URL is not a rediss:// (TLS) URL');
    }
    if (password !== undefined && parsed.password !== '') {
      r.problem('set REDIS_PASSWORD (or _FILE) or a password in REDIS_URL, not both');
    }
  }
  if (username !== undefined && password === undefined) {
    r.problem('REDIS_USERNAME needs REDIS_PASSWORD (or REDIS_PASSWORD_FILE)');
  }
  if (url === undefined) return undefined;
  return { url, keyPrefix, username, password, caFile };
}

/** Credentials and TLS in the shape of ioredis' options (ioredis copies `tls` into each connect). */
export interface RedisCredentialOptions {
  username?: string;
  password?: string;
  tls?: ConnectionOptions;
}

/** The CA file is read on every connect, so a rotated CA applies without a restart. */
export function redisConnectionOptions(o: {
  readonly username?: string | undefined;
  readonly password?: Secret | undefined;
  readonly caFile?: string | undefined;
}): RedisCredentialOptions {
  const out: RedisCredentialOptions = {};
  if (o.username !== undefined) out.username = o.username;
  if (o.password !== undefined) out.password = o.password.value();
  const caFile = o.caFile;
  if (caFile !== undefined) {
    const tls: ConnectionOptions = {};
    Object.defineProperty(tls, 'ca', { enumerable: true, get: () => readFileSync(caFile) });
    out.tls = tls;
  }
  return out;
}
