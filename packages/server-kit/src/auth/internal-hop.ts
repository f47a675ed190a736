import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AUTH_METHOD_NAMES } from '../config/auth.config';
import type { AuthMechanism, Principal } from './principal';

/** The shared secret a replica puts on requests it forwards to another replica. */
export const INTERNAL_TOKEN_HEADER = 'x-kafka-gateway-token';
/**
 * The principal the forwarding replica authenticated (base64url JSON of name, groups, mechanism
 * and the credential's expiry; never the credential). Believed only next to the right token.
 */
export const PRINCIPAL_HEADER = 'x-kafka-gateway-principal';

/** Far above any real principal (a name and a few hundred groups), far below the header cap. */
const MAX_PRINCIPAL_HEADER_BYTES = 8192;

/** Whether a header value is the internal token (timing-safe; false without a token). */
export function matchesInternalToken(
  value: string | string[] | undefined,
  token: string | undefined,
): boolean {
  return (
    token !== undefined &&
    token !== '' &&
    typeof value === 'string' &&
    value.length === token.length &&
    timingSafeEqual(Buffer.from(value), Buffer.from(token))
  );
}

interface Wire {
  n: string;
  g: string[];
  m: AuthMechanism;
  /** A bearer credential's expiry (ms), for principal propagation on the owner. */
  x?: number;
}

export function encodePrincipal(p: Principal): string {
  const wire: Wire = { n: p.name, g: [...p.groups], m: p.mechanism };
  if (p.credential?.kind === 'bearer') wire.x = p.credential.expiresAtMs;
  return Buffer.from(JSON.stringify(wire)).toString('base64url');
}

export interface HopPrincipal {
  readonly principal: Principal;
  readonly credentialExpiresAtMs: number | undefined;
}

/** The principal of a trusted forwarded request; undefined when the header is not well formed. */
export function decodePrincipal(value: string | string[] | undefined): HopPrincipal | undefined {
  if (typeof value !== 'string' || value.length > MAX_PRINCIPAL_HEADER_BYTES) return undefined;
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const w = wire as Partial<Wire> | null;
  if (
    w === null ||
    typeof w !== 'object' ||
    typeof w.n !== 'string' ||
    w.n === '' ||
    !Array.isArray(w.g) ||
    !w.g.every((g) => typeof g === 'string') ||
    !(AUTH_METHOD_NAMES as readonly unknown[]).includes(w.m) ||
    (w.x !== undefined && typeof w.x !== 'number')
  ) {
    return undefined;
  }
  return {
    principal: Object.freeze({ name: w.n, groups: Object.freeze([...w.g]), mechanism: w.m! }),
    credentialExpiresAtMs: w.x,
  };
}

/** Removes a client's copy of the hop headers' principal (it is only believed from a replica). */
export function stripPrincipalHeader(headers: IncomingHttpHeaders): void {
  delete headers[PRINCIPAL_HEADER];
}
