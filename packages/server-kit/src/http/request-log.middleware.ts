import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { principalOf } from '../auth/principal';
import type { AccessLogLevel } from '../config/common.config';
import { methodLabel } from '../metrics/metrics.service';

const REQUEST_ID = Symbol('requestId');
type WithRequestId = Request & { [REQUEST_ID]?: string };

/** A client's request id is kept when it is a plain token of reasonable length. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id of a request (set by `requestLogMiddleware`), for log lines about it. */
export function requestId(req: Request): string | undefined {
  return (req as WithRequestId)[REQUEST_ID];
}

/**
 * Gives every request an id (the client's `X-Request-Id` when it is a plain token, else a new
 * UUID), returns it in `X-Request-Id` (a forwarded request keeps it, so the owner replica logs
 * the same id), and logs one access line when the response is done: id, principal name, method,
 * route template, topic, status and duration. Never headers, query values or payloads, so no secret and no
 * record can reach the log. `LOG_ACCESS=off` leaves only the id.
 */
export function requestLogMiddleware(logger: Logger, level: AccessLogLevel) {
  const access = logger.child({ component: 'access' });
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    (req as WithRequestId)[REQUEST_ID] = id;
    res.setHeader('X-Request-Id', id);
    if (level !== 'off') {
      const start = process.hrtime.bigint();
      res.once('close', () => {
        const route = (req.route as { path?: unknown } | undefined)?.path;
        const topic = (req.params as Record<string, unknown> | undefined)?.['topic'];
        access[level](
          {
            reqId: id,
            // a refused request has no principal (and must not read as `anonymous`)
            principal: res.statusCode === 401 ? 'unauthenticated' : principalOf(req).name,
            method: methodLabel(req.method),
            route: typeof route === 'string' ? route : 'unmatched',
            ...(typeof topic === 'string' ? { topic } : {}),
            status: res.statusCode,
            complete: res.writableFinished,
            durationMs: Number(process.hrtime.bigint() - start) / 1e6,
          },
          'request',
        );
      });
    }
    next();
  };
}
