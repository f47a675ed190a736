import type { IncomingMessage } from 'node:http';
import type { AuthConfig } from '../config/auth.config';
import { Secret } from '../config/secret';
import {
  type Authenticator,
  type Authorization,
  type AuthFailureReason,
  refused,
} from './authenticator';
import {
  decodePrincipal,
  INTERNAL_TOKEN_HEADER,
  matchesInternalToken,
  PRINCIPAL_HEADER,
  stripPrincipalHeader,
} from './internal-hop';
import { ANONYMOUS, type CallerCredential, type Principal } from './principal';

/** Which method decided a request: a bounded set (the `method` label of auth failures). */
export type DecidingMethod = 'basic' | 'jwt' | 'mtls' | 'internal' | 'none';

export type Verdict =
  | { readonly ok: true; readonly principal: Principal; readonly method: DecidingMethod }
  | { readonly ok: false; readonly reason: AuthFailureReason; readonly method: DecidingMethod };

const SCHEME = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +(\S+) *$/;
const CHALLENGE_SCHEME: Readonly<Record<string, string>> = { basic: 'Basic', jwt: 'Bearer' };

function parseAuthorization(value: string): Authorization | undefined {
  const m = SCHEME.exec(value);
  return m === null ? undefined : { scheme: m[1]!.toLowerCase(), credentials: m[2]! };
}

/**
 * Client authentication for one gateway process: the configured methods in order, the internal
 * hop between replicas, and the `WWW-Authenticate` challenge of a refusal.
 *
 * - A request forwarded by another replica (correct internal token) keeps the principal that
 *   replica authenticated; a client's own copy of that header is removed, never believed.
 * - Otherwise the first method in AUTH_METHODS whose kind of credentials the request carries
 *   decides, and credentials it refuses are refused (they never fall through to `none`).
 * - No credentials at all: ANONYMOUS when `none` is listed, else refused.
 */
export class Authentication {
  /** `WWW-Authenticate` of a refusal (undefined when only mtls is configured: no HTTP scheme). */
  readonly challenge: string | undefined;
  /** Only `none`: every request is anonymous (the hot path skips everything else). */
  readonly open: boolean;
  private readonly allowsAnonymous: boolean;

  constructor(
    private readonly config: AuthConfig,
    private readonly authenticators: readonly Authenticator[],
    /** The replicas' shared secret (consumer INTERNAL_TOKEN); unset: no request is a hop. */
    private readonly internalToken: string | undefined,
  ) {
    const schemes = config.methods.flatMap((m) => {
      const s = CHALLENGE_SCHEME[m];
      return s === undefined ? [] : [`${s} realm="${config.realm}"`];
    });
    this.challenge = schemes.length === 0 ? undefined : schemes.join(', ');
    this.allowsAnonymous = config.methods.includes('none');
    this.open = config.methods.length === 1 && this.allowsAnonymous;
  }

  /** The principal of a request forwarded by a replica, or undefined when it is not one. */
  hop(req: IncomingMessage): Verdict | undefined {
    const headers = req.headers;
    if (headers[PRINCIPAL_HEADER] === undefined) return undefined;
    if (!matchesInternalToken(headers[INTERNAL_TOKEN_HEADER], this.internalToken)) {
      stripPrincipalHeader(headers);
      return undefined;
    }
    const hop = decodePrincipal(headers[PRINCIPAL_HEADER]);
    if (hop === undefined) return { ok: false, reason: 'malformed', method: 'internal' };
    const credential = hopCredential(
      headers.authorization,
      hop.principal,
      hop.credentialExpiresAtMs,
    );
    return {
      ok: true,
      principal: credential === undefined ? hop.principal : { ...hop.principal, credential },
      method: 'internal',
    };
  }

  async authenticate(req: IncomingMessage): Promise<Verdict> {
    const hop = this.hop(req);
    if (hop !== undefined) return hop;
    if (this.open) return { ok: true, principal: ANONYMOUS, method: 'none' };
    const header = req.headers.authorization;
    let authorization: Authorization | undefined;
    if (header !== undefined) {
      if (Buffer.byteLength(header) > this.config.maxHeaderBytes)
        return { ...refused('oversized'), method: 'none' };
      authorization = parseAuthorization(header);
      if (authorization === undefined) return { ...refused('malformed'), method: 'none' };
    }
    for (const a of this.authenticators) {
      if (!a.carries(req, authorization)) continue;
      const outcome = await a.authenticate(req, authorization);
      return { ...outcome, method: a.method };
    }
    if (authorization !== undefined) return { ...refused('unsupported_scheme'), method: 'none' };
    if (this.allowsAnonymous) return { ok: true, principal: ANONYMOUS, method: 'none' };
    return { ...refused('missing'), method: 'none' };
  }
}

/**
 * The caller's credential on the owner of a forwarded request, rebuilt from the Authorization
 * header that travelled with it (the forwarding replica verified it), so that principal
 * propagation can use it there too. Only when it belongs to the forwarded principal.
 */
function hopCredential(
  header: string | undefined,
  principal: Principal,
  expiresAtMs: number | undefined,
): CallerCredential | undefined {
  const a = header === undefined ? undefined : parseAuthorization(header);
  if (a === undefined) return undefined;
  if (a.scheme === 'bearer' && principal.mechanism === 'jwt' && expiresAtMs !== undefined) {
    return { kind: 'bearer', token: Secret.of(a.credentials), expiresAtMs };
  }
  if (a.scheme === 'basic' && principal.mechanism === 'basic') {
    const decoded = Buffer.from(a.credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && decoded.slice(0, colon) === principal.name) {
      return {
        kind: 'password',
        username: principal.name,
        password: Secret.of(decoded.slice(colon + 1)),
      };
    }
  }
  return undefined;
}
