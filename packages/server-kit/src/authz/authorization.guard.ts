import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Errors } from '../errors/gateway-errors';
import { AUTHORIZATION, type ResourceFrom, type RouteAuthorization } from './authorize.decorator';
import { Authorizer, callerOf } from './authorizer';
import type { Resource } from './policy';

function resolve(from: ResourceFrom, req: Request): Resource {
  if (from.kind === 'cluster') return from;
  const name = req.params[from.param];
  return { kind: from.kind, name: typeof name === 'string' ? name : '' };
}

/**
 * What the guard does for one request once it has the route's declaration: nothing without a
 * policy, a refusal (403, audited) for a route without one, else every declared check. Also
 * called by routes served below Nest's router (a produce hot route) with the declaration of the
 * controller method they stand in for, so both paths enforce the same thing.
 */
export function enforceRouteAuthorization(
  authorizer: Authorizer,
  req: Request,
  declared: RouteAuthorization | undefined,
): void {
  if (!authorizer.enabled) return;
  if (declared === undefined) {
    // fail closed: a route added without a declaration is refused, not open
    authorizer.deny(
      callerOf(req),
      'request',
      `endpoint:${req.method} ${req.path}`,
      'route declares no authorization',
    );
    throw Errors.forbidden('call', 'this endpoint');
  }
  if (declared.kind !== 'check') return;
  const caller = callerOf(req);
  for (const from of declared.resources) {
    authorizer.require(caller, declared.operation, resolve(from, req));
  }
}

/**
 * The one enforcement point of declared route authorization (global, before any other guard,
 * pipe or handler: a refused request does nothing). Without a policy it only reads metadata.
 */
@Injectable()
export class AuthorizationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authorizer: Authorizer,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.authorizer.enabled) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const declared = this.reflector.get<RouteAuthorization | undefined>(
      AUTHORIZATION,
      context.getHandler(),
    );
    enforceRouteAuthorization(this.authorizer, req, declared);
    return true;
  }
}
