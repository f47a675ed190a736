import type { NextFunction, Request, Response } from 'express';
import { methodLabel, type MetricsService } from './metrics.service';

/** Observes every request's duration, labelled by the matched route pattern, never the raw URL. */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      metrics.httpRequestDuration.observe(
        {
          method: methodLabel(req.method),
          route: typeof route === 'string' ? route : 'unmatched',
          status: String(res.statusCode),
        },
        Number(process.hrtime.bigint() - start) / 1e9,
      );
    });
    next();
  };
}
