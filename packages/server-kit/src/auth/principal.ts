import type { IncomingMessage } from 'node:http';
import type { Secret } from '../config/secret';

/** How a caller proved who it is. `none`: authentication is off (local use). */
export type AuthMechanism = 'none' | 'basic' | 'jwt' | 'mtls';

/**
 * What the caller presented, kept only for talking to Kafka as the caller (principal
 * propagation, opt-in). Never logged: both secrets print `[redacted]`.
 */
export type CallerCredential =
  | { readonly kind: 'password'; readonly username: string; readonly password: Secret }
  | { readonly kind: 'bearer'; readonly token: Secret; readonly expiresAtMs: number };

/** Who is calling: what policies, quotas, audit lines and consumer-instance ownership use. */
export interface Principal {
  readonly name: string;
  readonly groups: readonly string[];
  readonly mechanism: AuthMechanism;
  readonly credential?: CallerCredential;
}

/** The caller when authentication is off. */
export const ANONYMOUS: Principal = Object.freeze({
  name: 'anonymous',
  groups: Object.freeze([]),
  mechanism: 'none' as const,
});

const PRINCIPAL = Symbol('kafka-gateway.principal');
type WithPrincipal = IncomingMessage & { [PRINCIPAL]?: Principal };

/** Set once per request by the authentication middleware at the edge (or from the internal hop). */
export function setPrincipal(req: IncomingMessage, principal: Principal): void {
  (req as WithPrincipal)[PRINCIPAL] = principal;
}

/** The authenticated caller of this request; ANONYMOUS when none was set (authentication off). */
export function principalOf(req: IncomingMessage): Principal {
  return (req as WithPrincipal)[PRINCIPAL] ?? ANONYMOUS;
}
