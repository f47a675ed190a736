import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { InstanceRef } from './ownership-store';
import type { RoutingService } from './routing.service';

const INSTANCE_PATH = /^\/consumers\/([^/]+)\/instances\/([^/]+)(?:\/|$)/;

function instanceRef(path: string): InstanceRef | undefined {
  const m = INSTANCE_PATH.exec(path);
  if (m === null) return undefined;
  try {
    return { group: decodeURIComponent(m[1]!), instance: decodeURIComponent(m[2]!) };
  } catch {
    return undefined; // malformed escapes: let the router answer
  }
}

/**
 * Runs before body parsing: a request for an instance another replica owns is streamed to that
 * replica untouched (see RoutingService.route); everything else goes on to the local handlers.
 */
export function forwardingMiddleware(routing: RoutingService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const ref = instanceRef(req.path);
    if (ref === undefined) return next();
    // an unexpected failure goes to the error handler after the body parser (one error path)
    routing.route(req, res, ref).then(
      (answered) => {
        if (!answered) next();
      },
      (err: unknown) => next(err),
    );
  };
}
