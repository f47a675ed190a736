import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { type ErrorResponse, reason } from './error-response';
import { ErrorResponder } from './error-responder';
import { allowedMethods, type RouterLike } from './method-not-allowed';

/**
 * Nest's exception filter: everything a handler, guard or interceptor throws, an unknown route
 * and a wrong method go to the one error path (ErrorResponder).
 */
@Catch()
export class ConfluentErrorFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly responder: ErrorResponder,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    let response: ErrorResponse | undefined;
    if (exception instanceof HttpException) {
      let status = exception.getStatus();
      let allow: string[] = [];
      if (status === 404) {
        // Our own code never throws Nest's NotFoundException: a 404 here is an unmatched route.
        const router = this.adapterHost.httpAdapter.getInstance<{ router?: RouterLike }>().router;
        allow = allowedMethods(router, req.path);
        if (allow.length > 0) status = 405;
      }
      if (allow.length > 0) res.setHeader('Allow', allow.join(', '));
      response = {
        status,
        body: { error_code: status, message: `HTTP ${status} ${reason(status)}` },
      };
    }
    this.responder.send(req, res, exception, response);
  }
}
