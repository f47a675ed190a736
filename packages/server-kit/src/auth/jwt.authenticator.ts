import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent } from 'node:https';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { JwtAuthConfig } from '../config/auth.config';
import { Secret } from '../config/secret';
import { type Authenticator, type Authorization, type AuthOutcome, refused } from './authenticator';
import { BoundedCache } from './bounded-cache';
import type { Principal } from './principal';

// The JWT adapter: the one home of `jose`.

/** Three base64url parts: anything else is refused before any parsing or key lookup. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** A JWKS answer slower than this counts as a failed fetch (jose's default is 5 s). */
const JWKS_TIMEOUT_MS = 5000;
/**
 * An unknown `kid` refetches the JWKS (key rotation), but not more often than this: a flood of
 * tokens with made-up key ids cannot turn into a flood of requests to the identity provider.
 */
const JWKS_COOLDOWN_MS = 30_000;
/** Keys are fetched again after this long even when every `kid` is known (removed keys go). */
const JWKS_MAX_AGE_MS = 10 * 60_000;

/** The JWKS of the configured URL, fetched and cached by jose (with the configured CA for https). */
export function remoteKeySet(config: JwtAuthConfig): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(config.jwksUrl), {
    timeoutDuration: JWKS_TIMEOUT_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    cacheMaxAge: JWKS_MAX_AGE_MS,
    ...(config.jwksCaFile === undefined
      ? {}
      : { agent: new Agent({ ca: readFileSync(config.jwksCaFile) }) }),
  });
}

/** A claim by dotted path (`realm_access.roles`). */
function claim(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function groupsOf(value: unknown): readonly string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((g) => g !== '');
  if (Array.isArray(value))
    return value.filter((g): g is string => typeof g === 'string' && g !== '');
  return [];
}

function reasonOf(err: unknown): AuthOutcome {
  if (err instanceof errors.JWTExpired) return refused('expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return refused(err.claim === 'nbf' || err.claim === 'iat' ? 'expired' : 'invalid_token');
  }
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)
    return refused('verifier_unavailable');
  if (err instanceof errors.JOSEError) return refused('invalid_token');
  // a network failure fetching the JWKS: not a JOSE verdict about the token
  return refused('verifier_unavailable');
}

/**
 * Bearer JWTs checked against a remote JWKS: signature by an allowed asymmetric algorithm (never
 * `none` or HMAC), issuer, audience, `exp` required, `nbf`, with the configured clock skew. A
 * verified token is remembered (keyed by its SHA-256) until the earlier of its `exp` and
 * `cacheTtlMs`, so the hot path costs one hash and a map lookup.
 */
export class JwtAuthenticator implements Authenticator {
  readonly method = 'jwt' as const;
  private readonly cache: BoundedCache<{ principal: Principal; expiresAtMs: number }>;

  constructor(
    private readonly config: JwtAuthConfig,
    private readonly keys: JWTVerifyGetKey = remoteKeySet(config),
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new BoundedCache(config.cacheMaxEntries, now);
  }

  carries(_req: IncomingMessage, authorization: Authorization | undefined): boolean {
    return authorization?.scheme === 'bearer';
  }

  async authenticate(
    _req: IncomingMessage,
    authorization: Authorization | undefined,
  ): Promise<AuthOutcome> {
    const token = authorization?.credentials ?? '';
    if (!COMPACT_JWS.test(token)) return refused('malformed');
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = this.cache.get(key);
    if (hit !== undefined) return accepted(hit.principal, token, hit.expiresAtMs);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.config.issuer,
        audience: [...this.config.audiences],
        algorithms: [...this.config.algorithms],
        clockTolerance: this.config.clockSkewSeconds,
        requiredClaims: ['exp'],
        currentDate: new Date(this.now()),
      }));
    } catch (err) {
      return reasonOf(err);
    }
    const name = claim(payload, this.config.principalClaim);
    if (typeof name !== 'string' || name === '') return refused('no_principal');
    const expiresAtMs = (payload.exp ?? 0) * 1000;
    const principal: Principal = Object.freeze({
      name,
      groups: Object.freeze(groupsOf(claim(payload, this.config.groupsClaim))),
      mechanism: 'jwt',
    });
    const until = Math.min(expiresAtMs, this.now() + this.config.cacheTtlMs);
    this.cache.set(key, { principal, expiresAtMs }, until);
    return accepted(principal, token, expiresAtMs);
  }
}

/** The principal with this request's token (kept for principal propagation only; never cached). */
function accepted(principal: Principal, token: string, expiresAtMs: number): AuthOutcome {
  return {
    ok: true,
    principal: {
      ...principal,
      credential: { kind: 'bearer', token: Secret.of(token), expiresAtMs },
    },
  };
}
