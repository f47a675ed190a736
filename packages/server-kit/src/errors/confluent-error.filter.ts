import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { V2_JSON } from '@kafka-gateway/codec';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { type ErrorResponse, reason, toErrorResponse } from './error-response';
import { allowedMethods, type RouterLike } from './method-not-allowed';
import { LOGGER } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';

/**
 * The one place that writes error responses: every error, from a handler, a guard, an unknown
 * route or a wrong method, leaves as a Confluent body `{"error_code", "message"}`.
 */
@Catch()
export class ConfluentErrorFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    let response: ErrorResponse;
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
    } else {
      response = toErrorResponse(exception);
    }
    logErrorResponse(this.logger, response, exception, req);
    this.metrics.errors.inc({ error_code: String(response.body.error_code) });
    writeErrorResponse(req, res, response);
  }
}

export function logErrorResponse(
  logger: Logger,
  response: ErrorResponse,
  err: unknown,
  req: Request,
): void {
  if (response.incidentId !== undefined) {
    logger.error(
      { err, incidentId: response.incidentId, method: req.method, url: req.originalUrl },
      'unexpected error',
    );
  } else if (response.status >= 500) {
    logger.warn(
      { err, method: req.method, url: req.originalUrl, errorCode: response.body.error_code },
      response.body.message,
    );
  }
}

/** v2 errors carry the v2 media type, v3 errors plain JSON, as Confluent does. */
export function writeErrorResponse(req: Request, res: Response, response: ErrorResponse): void {
  if (res.headersSent) {
    // Part of a response is already on the wire (streaming); the only honest signal left is to
    // cut the connection so the client cannot mistake it for a complete answer.
    res.destroy();
    return;
  }
  const contentType = req.path.startsWith('/v3') ? 'application/json' : V2_JSON;
  if (response.retryAfterSeconds !== undefined)
    res.setHeader('Retry-After', String(response.retryAfterSeconds));
  res.status(response.status).setHeader('Content-Type', contentType);
  res.end(JSON.stringify(response.body));
}
