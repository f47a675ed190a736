import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { BasicAuthConfig } from '../config/auth.config';
import { Secret } from '../config/secret';
import { type Authenticator, type Authorization, type AuthOutcome, refused } from './authenticator';
import { BoundedCache } from './bounded-cache';
import type { Credentials, CredentialsFile } from './credentials-file';
import { dummyHashLike, verifyPassword } from './password-hash';
import type { Principal } from './principal';

/** RFC 4648 base64 (what RFC 7617 Basic credentials are); anything else is malformed. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface Verified {
  /** HMAC of user and password under this process's random key: never the password itself. */
  readonly mac: Buffer;
  readonly principal: Principal;
}

/**
 * HTTP Basic against the credentials file. A hash check costs ~50–100 ms, so a success is
 * remembered (per user: the HMAC of user and password under a random per-process key, compared
 * with timingSafeEqual) for `cacheTtlMs`, in a bounded LRU that is emptied whenever the file is
 * re-read. Failures are never remembered. An unknown user is checked against a dummy hash of the
 * same kind and cost, so the answer time does not tell which names exist.
 */
export class BasicAuthenticator implements Authenticator {
  readonly method = 'basic' as const;
  private readonly macKey = randomBytes(32);
  private readonly cache: BoundedCache<Verified>;
  private generation = -1;
  private dummyHash = '';

  constructor(
    private readonly config: BasicAuthConfig,
    private readonly file: CredentialsFile,
    private readonly now: () => number = Date.now,
    private readonly verify: (password: string, hash: string) => Promise<boolean> = verifyPassword,
  ) {
    this.cache = new BoundedCache(config.cacheMaxEntries, now);
    this.current();
  }

  carries(_req: IncomingMessage, authorization: Authorization | undefined): boolean {
    return authorization?.scheme === 'basic';
  }

  async authenticate(
    _req: IncomingMessage,
    authorization: Authorization | undefined,
  ): Promise<AuthOutcome> {
    const encoded = authorization?.credentials ?? '';
    if (!BASE64.test(encoded)) return refused('malformed');
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return refused('malformed');
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const credentials = this.current();
    const mac = createHmac('sha256', this.macKey)
      .update(username)
      .update('\0')
      .update(password)
      .digest();
    const hit = this.cache.get(username);
    if (hit !== undefined && timingSafeEqual(hit.mac, mac))
      return this.accepted(hit.principal, username, password);

    const user = credentials.users.get(username);
    const ok = await this.verify(password, user?.hash ?? this.dummyHash);
    // the file may have been re-read while the hash was checked: only remember what still holds
    if (user === undefined || !ok) return refused('bad_credentials');
    const principal: Principal = Object.freeze({
      name: user.name,
      groups: user.groups,
      mechanism: 'basic',
    });
    if (this.current().generation === credentials.generation) {
      this.cache.set(username, { mac, principal }, this.now() + this.config.cacheTtlMs);
    }
    return this.accepted(principal, username, password);
  }

  /** The principal with this request's credential (kept for principal propagation only). */
  private accepted(principal: Principal, username: string, password: string): AuthOutcome {
    return {
      ok: true,
      principal: {
        ...principal,
        credential: { kind: 'password', username, password: Secret.of(password) },
      },
    };
  }

  private current(): Credentials {
    const credentials = this.file.current();
    if (credentials.generation !== this.generation) {
      this.cache.clear();
      this.dummyHash = dummyHashLike(credentials.typicalHash);
      this.generation = credentials.generation;
    }
    return credentials;
  }
}
