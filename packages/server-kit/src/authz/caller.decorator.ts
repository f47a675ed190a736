import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { type Caller, callerOf } from './authorizer';

/** The request's principal and id, for services that authorize what the body names. */
export const CallerOf = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller =>
  callerOf(ctx.switchToHttp().getRequest<Request>()),
);
