import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { auditDenial } from '../auth/audit';
import type { EndpointAccessConfig } from '../config/edge.config';
import { GatewayError } from '../errors/error-catalogue';
import type { ErrorResponder } from '../errors/error-responder';
import { type Endpoint, endpointOf } from './endpoint-names';
import { requestId } from './request-log.middleware';

const ENDPOINT = Symbol('kafka-gateway.endpoint');
/** Who a disabled endpoint refuses: the lists are checked before authentication names anyone. */
const BEFORE_AUTHENTICATION = 'unauthenticated';
type WithEndpoint = IncomingMessage & { [ENDPOINT]?: Endpoint | null };

/** The endpoint of a request, resolved once (endpoint lists and quotas both ask). */
export function requestEndpoint(req: Request): Endpoint | undefined {
  const r = req as WithEndpoint;
  let e = r[ENDPOINT];
  if (e === undefined) {
    e = endpointOf(req.method, req.path, req.headers) ?? null;
    r[ENDPOINT] = e;
  }
  return e ?? undefined;
}

/**
 * As Confluent: with an allowlist, only the endpoints it names (by name or group) are served;
 * a blocklist takes endpoints away (also from an allowlist).
 */
export function isEndpointEnabled(config: EndpointAccessConfig, endpoint: Endpoint): boolean {
  const { allowlist, blocklist } = config;
  if (blocklist.has(endpoint.name) || blocklist.has(endpoint.group)) return false;
  return allowlist.size === 0 || allowlist.has(endpoint.name) || allowlist.has(endpoint.group);
}

/**
 * A disabled endpoint answers what Confluent's answers (its ResourceAccesslistFeature): 404 for
 * GET, 405 for every other method, and never runs. Runs before authentication, as Confluent's
 * filter does (PRE_AUTHENTICATION), so a disabled endpoint costs no credential check. OPTIONS is
 * never blocked (Confluent answers it for every endpoint). Paths that are no endpoint go on to
 * the router, which answers them as it always does.
 */
export function endpointAccessMiddleware(
  config: EndpointAccessConfig,
  responder: ErrorResponder,
  logger: Logger,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'OPTIONS') return next();
    const endpoint = requestEndpoint(req);
    if (endpoint === undefined || isEndpointEnabled(config, endpoint)) return next();
    auditDenial(logger, {
      principal: BEFORE_AUTHENTICATION,
      operation: 'request',
      resource: `endpoint:${endpoint.name}`,
      reason: 'endpoint disabled',
      requestId: requestId(req),
    });
    responder.send(req, res, disabledEndpoint(req.method));
  };
}

function disabledEndpoint(method: string): GatewayError {
  return method === 'GET' || method === 'HEAD'
    ? new GatewayError('route_not_found', 'HTTP 404 Not Found')
    : new GatewayError('method_not_allowed', 'HTTP 405 Method Not Allowed');
}
