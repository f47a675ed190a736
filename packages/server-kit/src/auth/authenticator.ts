import type { IncomingMessage } from 'node:http';
import type { Principal } from './principal';

/**
 * Why a request was not authenticated: a bounded set, used as the metric label and (in words)
 * in the audit line. Clients never see it: every refusal has the same body.
 */
export type AuthFailureReason =
  /** No credentials, and `none` is not among AUTH_METHODS. */
  | 'missing'
  /** An Authorization header over AUTH_MAX_HEADER_BYTES (refused unparsed). */
  | 'oversized'
  /** An Authorization header or token that does not parse. */
  | 'malformed'
  /** An Authorization scheme that no configured method accepts. */
  | 'unsupported_scheme'
  /** Basic: an unknown user or a wrong password. */
  | 'bad_credentials'
  /** JWT: signature, key, algorithm, issuer or audience refused. */
  | 'invalid_token'
  /** JWT: outside its validity window (exp, nbf), clock skew included. */
  | 'expired'
  /** mTLS: a client certificate the client CA does not vouch for. */
  | 'untrusted_certificate'
  /** Verified, but the configured claim or certificate field names no principal. */
  | 'no_principal'
  /** The verifier itself failed (JWKS unreachable): not the client's fault, still no access. */
  | 'verifier_unavailable';

export const FAILURE_REASONS: Readonly<Record<AuthFailureReason, string>> = {
  missing: 'no credentials',
  oversized: 'oversized authorization header',
  malformed: 'malformed credentials',
  unsupported_scheme: 'unsupported authorization scheme',
  bad_credentials: 'bad credentials',
  invalid_token: 'invalid token',
  expired: 'expired token',
  untrusted_certificate: 'untrusted client certificate',
  no_principal: 'no principal in credentials',
  verifier_unavailable: 'verifier unavailable',
};

export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: AuthFailureReason };

export const refused = (reason: AuthFailureReason): AuthOutcome => ({ ok: false, reason });

/** An `Authorization` header split into its scheme (lower case) and credentials. */
export interface Authorization {
  readonly scheme: string;
  readonly credentials: string;
}

/** One way of proving identity (`basic`, `jwt`, `mtls`); `none` needs no authenticator. */
export interface Authenticator {
  readonly method: 'basic' | 'jwt' | 'mtls';
  /** Whether the request carries this method's kind of credentials (then this method decides). */
  carries(req: IncomingMessage, authorization: Authorization | undefined): boolean;
  authenticate(
    req: IncomingMessage,
    authorization: Authorization | undefined,
  ): Promise<AuthOutcome>;
}
