import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * `scheme://host` of the request as the client sent it (through the entry point, which forwards
 * Host and X-Forwarded-Proto): the base of v3 `self`/`related` links when no public base URL is
 * configured, as Confluent builds them from the request.
 */
export function requestBase(req: Request): string {
  const forwarded = req.headers['x-forwarded-proto'];
  const proto =
    (typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined) || req.protocol;
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}

export const RequestBase = createParamDecorator((_: unknown, ctx: ExecutionContext): string =>
  requestBase(ctx.switchToHttp().getRequest<Request>()),
);
