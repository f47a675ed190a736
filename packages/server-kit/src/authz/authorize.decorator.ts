import { SetMetadata } from '@nestjs/common';
import type { Operation } from './policy';

/** Where a route's resource comes from: a path parameter (topic or group), or the cluster. */
export type ResourceFrom =
  | { readonly kind: 'topic'; readonly param: string }
  | { readonly kind: 'group'; readonly param: string }
  | { readonly kind: 'cluster' };

export const topicParam = (param = 'topic'): ResourceFrom => ({ kind: 'topic', param });
export const groupParam = (param = 'group'): ResourceFrom => ({ kind: 'group', param });
export const CLUSTER_RESOURCE: ResourceFrom = Object.freeze({ kind: 'cluster' as const });

/**
 * A route's authorization, declared on its handler. Every route has one (a test enumerates the
 * live routes); a handler without one is refused whenever a policy is in force.
 * - `check`: the guard requires `operation` on each resource before the handler runs.
 * - `service`: the service checks, because the resources are in the body, the answer is a
 *   filtered listing, or the check is instance ownership; `how` says what it checks.
 * - `public`: any (authenticated) caller; `why` says why nothing needs protecting.
 */
export type RouteAuthorization =
  | {
      readonly kind: 'check';
      readonly operation: Operation;
      readonly resources: readonly ResourceFrom[];
    }
  | { readonly kind: 'service'; readonly how: string }
  | { readonly kind: 'public'; readonly why: string };

export const AUTHORIZATION = 'kafka-gateway:authorization';

/** The guard requires `operation` on every listed resource before the handler runs. */
export const Authorize = (
  operation: Operation,
  ...resources: [ResourceFrom, ...ResourceFrom[]]
): MethodDecorator =>
  SetMetadata<string, RouteAuthorization>(AUTHORIZATION, { kind: 'check', operation, resources });

/** The service authorizes (body-named resources, filtered listings, instance ownership). */
export const AuthorizedInService = (how: string): MethodDecorator =>
  SetMetadata<string, RouteAuthorization>(AUTHORIZATION, { kind: 'service', how });

/** No resource to protect: any caller who passed authentication. */
export const PublicRoute = (why: string): MethodDecorator =>
  SetMetadata<string, RouteAuthorization>(AUTHORIZATION, { kind: 'public', why });

/** The authorization a controller's method declares (`@Authorize`, ...); undefined if none. */
export function declaredAuthorization<T extends object>(
  controller: abstract new (...args: never[]) => T,
  method: keyof T & string,
): RouteAuthorization | undefined {
  const handler: unknown = (controller.prototype as Record<string, unknown>)[method];
  if (typeof handler !== 'function') return undefined;
  return Reflect.getMetadata(AUTHORIZATION, handler) as RouteAuthorization | undefined;
}
