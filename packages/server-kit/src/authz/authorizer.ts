import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { auditDenial } from '../auth/audit';
import { type Principal, principalOf } from '../auth/principal';
import { Errors } from '../errors/gateway-errors';
import { requestId } from '../http/request-log.middleware';
import { LOGGER } from '../logging/logger';
import { type Operation, type Resource, resourceLabel } from './policy';
import type { PolicyFile } from './policy-file';

/** Injection token of the policy file; null when AUTHZ_POLICY_FILE is unset (all allowed). */
export const AUTHZ_POLICY = Symbol('AUTHZ_POLICY');

/** Who asks, as authorization and audit lines need it (the principal and the request id). */
export interface Caller {
  readonly principal: Principal;
  readonly requestId?: string;
}

export function callerOf(req: IncomingMessage): Caller {
  const id = requestId(req as Request);
  return { principal: principalOf(req), ...(id === undefined ? {} : { requestId: id }) };
}

/**
 * Decides whether a principal may do an operation on a resource, by the policy file. Without a
 * policy file every request is allowed and nothing is looked up (the produce path stays lean).
 */
@Injectable()
export class Authorizer {
  constructor(
    @Inject(AUTHZ_POLICY) private readonly policy: PolicyFile | null,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Whether a policy is in force (false: everything is allowed). */
  get enabled(): boolean {
    return this.policy !== null;
  }

  allows(principal: Principal, operation: Operation, resource: Resource): boolean {
    return this.policy === null || this.policy.current().allows(principal, operation, resource);
  }

  /** Throws 403/40301 after one audit line when the caller may not; nothing else happens. */
  require(caller: Caller, operation: Operation, resource: Resource): void {
    if (this.allows(caller.principal, operation, resource)) return;
    this.deny(caller, operation, resource, 'no matching grant');
    throw Errors.forbidden(operation, describe(resource));
  }

  /** Writes the audit line of a refusal answered some other way (e.g. 404 for a foreign instance). */
  deny(caller: Caller, operation: string, resource: Resource | string, reason: string): void {
    auditDenial(this.logger, {
      principal: caller.principal.name,
      operation,
      resource: typeof resource === 'string' ? resource : resourceLabel(resource),
      reason,
      ...(caller.requestId === undefined ? {} : { requestId: caller.requestId }),
    });
  }

  /** The names of a listing the principal may do `operation` on (all of them without a policy). */
  filter<T>(
    principal: Principal,
    operation: Operation,
    kind: 'topic' | 'group',
    items: readonly T[],
    nameOf: (item: T) => string,
  ): T[] {
    if (this.policy === null) return [...items];
    const policy = this.policy.current();
    return items.filter((i) => policy.allows(principal, operation, { kind, name: nameOf(i) }));
  }
}

function describe(r: Resource): string {
  return r.kind === 'cluster' ? 'the cluster' : `${r.kind} ${r.name}`;
}
