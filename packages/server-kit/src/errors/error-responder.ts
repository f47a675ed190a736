import { Inject, Injectable } from '@nestjs/common';
import { V2_JSON } from '@kafka-gateway/codec';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { requestId } from '../http/request-log.middleware';
import { LOGGER } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import { type ErrorResponse, toErrorResponse } from './error-response';

/**
 * The one error path: every error answer of a gateway (handlers, guards, unknown routes, body
 * parsing, forwarding) is logged, counted and written here, as a Confluent body
 * `{"error_code", "message"}`.
 */
@Injectable()
export class ErrorResponder {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * The Confluent answer for an error, logged: unexpected errors with the incident id their body
   * shows, and (with `warn5xx`) other 5xx answers as warnings. Per-record failures of streaming
   * produce use it without `warn5xx`: an outage would otherwise log a line per record.
   */
  describe(
    err: unknown,
    req: Request,
    response: ErrorResponse = toErrorResponse(err),
    warn5xx = true,
  ): ErrorResponse {
    if (response.incidentId !== undefined) {
      this.logger.error(
        {
          err,
          incidentId: response.incidentId,
          reqId: requestId(req),
          method: req.method,
          url: req.path,
        },
        'unexpected error',
      );
    } else if (warn5xx && response.status >= 500) {
      this.logger.warn(
        {
          err,
          reqId: requestId(req),
          method: req.method,
          url: req.path,
          errorCode: response.body.error_code,
        },
        response.body.message,
      );
    }
    return response;
  }

  /** Logs, counts and writes the error answer of a request. */
  send(req: Request, res: Response, err: unknown, response?: ErrorResponse): void {
    const answer = this.describe(err, req, response);
    this.metrics.errors.inc({ error_code: String(answer.body.error_code) });
    write(req, res, answer);
  }
}

/** v2 errors carry the v2 media type, v3 errors plain JSON, as Confluent does. */
function write(req: Request, res: Response, response: ErrorResponse): void {
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
