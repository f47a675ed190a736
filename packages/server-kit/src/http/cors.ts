import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { CorsConfig } from '../config/edge.config';
import { GatewayError } from '../errors/error-catalogue';
import type { ErrorResponder } from '../errors/error-responder';

/** What CORS makes of one request. */
export type CorsDecision =
  /** Not a cross-origin request (no Origin): nothing to add. */
  | { readonly kind: 'none' }
  /** A preflight that is allowed: answer 204 with these headers, run nothing else. */
  | { readonly kind: 'preflight'; readonly headers: Readonly<Record<string, string>> }
  /** A preflight that is not: 403, no CORS headers (the browser then refuses the request). */
  | { readonly kind: 'refused'; readonly reason: string }
  /** An actual request: go on, with these headers on the answer (none for other origins). */
  | { readonly kind: 'actual'; readonly headers: Readonly<Record<string, string>> };

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The CORS decision for a request, a pure function of the config and three request headers.
 * A preflight is an OPTIONS request with Origin and Access-Control-Request-Method; it carries
 * no credentials, so it is answered before authentication. An origin that is not allowed gets
 * no CORS headers at all (the browser keeps the answer from the page).
 */
export function corsDecision(
  config: CorsConfig,
  method: string,
  origin: string | undefined,
  requestMethod: string | undefined,
  requestHeaders: string | undefined,
): CorsDecision {
  if (origin === undefined) return { kind: 'none' };
  const allowed = config.anyOrigin || config.allowedOrigins.includes(origin);
  const preflight = method === 'OPTIONS' && requestMethod !== undefined;
  if (!preflight) {
    if (!allowed) return { kind: 'actual', headers: NO_HEADERS };
    return { kind: 'actual', headers: actualHeaders(config, origin) };
  }
  if (!allowed) return { kind: 'refused', reason: 'origin not allowed' };
  if (!config.allowedMethods.includes(requestMethod.toUpperCase())) {
    return { kind: 'refused', reason: `method ${requestMethod} not allowed` };
  }
  const asked = (requestHeaders ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const notAllowed = asked.find((h) => !config.allowedHeaders.includes(h));
  if (notAllowed !== undefined) {
    return { kind: 'refused', reason: `header ${notAllowed} not allowed` };
  }
  return {
    kind: 'preflight',
    headers: {
      'Access-Control-Allow-Origin': allowOrigin(config, origin),
      ...(config.allowCredentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
      'Access-Control-Allow-Methods': config.allowedMethods.join(', '),
      ...(asked.length > 0 ? { 'Access-Control-Allow-Headers': asked.join(', ') } : {}),
      'Access-Control-Max-Age': String(config.maxAgeSeconds),
    },
  };
}

function allowOrigin(config: CorsConfig, origin: string): string {
  // `*` is only configurable without credentials; echoing keeps one code path for both.
  return config.anyOrigin && !config.allowCredentials ? '*' : origin;
}

function actualHeaders(config: CorsConfig, origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': allowOrigin(config, origin),
    ...(config.allowCredentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
    ...(config.exposedHeaders.length > 0
      ? { 'Access-Control-Expose-Headers': config.exposedHeaders.join(', ') }
      : {}),
  };
}

/**
 * CORS at the edge, before authentication and everything else. Hand-written rather than the
 * `cors` package: that package lets a refused preflight through to the handlers (or ends it 204)
 * and has no way to answer it with a Confluent error body; the rules are a page of code.
 */
export function corsMiddleware(config: CorsConfig, responder: ErrorResponder): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Every answer depends on Origin, so caches must key on it (also answers without CORS headers)
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    const requestMethod = req.headers['access-control-request-method'];
    const decision = corsDecision(
      config,
      req.method,
      origin,
      typeof requestMethod === 'string' ? requestMethod : undefined,
      req.headers['access-control-request-headers'],
    );
    switch (decision.kind) {
      case 'none':
        next();
        return;
      case 'refused':
        responder.send(req, res, new GatewayError('cors_rejected', `CORS: ${decision.reason}`));
        return;
      case 'preflight':
        res.setHeader(
          'Vary',
          'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        );
        for (const [k, v] of Object.entries(decision.headers)) res.setHeader(k, v);
        res.status(204).end();
        return;
      case 'actual':
        for (const [k, v] of Object.entries(decision.headers)) res.setHeader(k, v);
        next();
    }
  };
}
