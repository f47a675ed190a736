import type { Logger } from 'pino';

/** One refused request, as the audit log records it. Never carries credentials or payloads. */
export interface Denial {
  /** The principal's name, or `unauthenticated` when no credentials were accepted. */
  readonly principal: string;
  /** produce, consume, describe, create, delete, alter-configs, authenticate, request, ... */
  readonly operation: string;
  /** `topic:<name>`, `group:<name>`, `instance:<group>/<name>`, `endpoint:<METHOD route>`, ... */
  readonly resource: string;
  /** Why, in a few words: `no matching grant`, `bad credentials`, `over produce quota`, ... */
  readonly reason: string;
  readonly requestId?: string;
}

/** The audit log: one structured line per denied request (authentication, authorization, quota). */
export function auditDenial(logger: Logger, denial: Denial): void {
  logger.warn({ audit: denial }, 'request denied');
}
