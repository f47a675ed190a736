import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { AuthConfig } from '../config/auth.config';
import type { ErrorResponder } from '../errors/error-responder';
import { Errors } from '../errors/gateway-errors';
import { requestId } from '../http/request-log.middleware';
import { methodLabel, type MetricsService } from '../metrics/metrics.service';
import { auditDenial } from './audit';
import { Authentication, type Verdict } from './authentication';
import { FAILURE_REASONS, type Authenticator } from './authenticator';
import { BasicAuthenticator } from './basic.authenticator';
import { CredentialsFile } from './credentials-file';
import { JwtAuthenticator } from './jwt.authenticator';
import { MtlsAuthenticator } from './mtls.authenticator';
import { setPrincipal } from './principal';

/** A request path longer than this is cut in the audit line (the path is client input). */
const AUDIT_PATH_CHARS = 200;

/** The configured authenticators, in AUTH_METHODS order (`none` needs none). */
export function createAuthentication(
  config: AuthConfig,
  logger: Logger,
  internalToken: string | undefined,
): Authentication {
  const authenticators: Authenticator[] = [];
  for (const method of config.methods) {
    if (method === 'basic' && config.basic !== undefined) {
      authenticators.push(
        new BasicAuthenticator(config.basic, new CredentialsFile(config.basic.file, logger)),
      );
    } else if (method === 'jwt' && config.jwt !== undefined) {
      authenticators.push(new JwtAuthenticator(config.jwt));
    } else if (method === 'mtls' && config.mtls !== undefined) {
      authenticators.push(new MtlsAuthenticator(config.mtls));
    }
  }
  return new Authentication(config, authenticators, internalToken);
}

/**
 * Runs before forwarding and body parsing: sets the request's principal, or answers 401/40101
 * (one body for every failure, `WWW-Authenticate` naming the configured schemes) through the one
 * error path, with one audit line and `kafka_gateway_auth_failures_total{method,reason}`.
 */
export function authenticationMiddleware(
  auth: Authentication,
  responder: ErrorResponder,
  metrics: MetricsService,
  logger: Logger,
) {
  const failures = metrics.counter(
    'kafka_gateway_auth_failures_total',
    'Requests refused by client authentication, by deciding method and coarse reason',
    ['method', 'reason'],
  );
  const refuse = (req: Request, res: Response, verdict: Verdict & { ok: false }): void => {
    failures.inc({ method: verdict.method, reason: verdict.reason });
    auditDenial(logger, {
      principal: 'unauthenticated',
      operation: 'authenticate',
      resource: `endpoint:${methodLabel(req.method)} ${req.path.slice(0, AUDIT_PATH_CHARS)}`,
      reason: FAILURE_REASONS[verdict.reason],
      ...(requestId(req) === undefined ? {} : { requestId: requestId(req) }),
    });
    if (auth.challenge !== undefined) res.setHeader('WWW-Authenticate', auth.challenge);
    responder.send(req, res, Errors.unauthenticated());
  };
  const decide = (req: Request, res: Response, next: NextFunction, verdict: Verdict): void => {
    if (verdict.ok) {
      setPrincipal(req, verdict.principal);
      next();
    } else refuse(req, res, verdict);
  };
  if (auth.open) {
    // authentication off: only a forwarded request's principal (or a client's forged copy) matters
    return (req: Request, res: Response, next: NextFunction): void => {
      const hop = auth.hop(req);
      if (hop === undefined) next();
      else decide(req, res, next, hop);
    };
  }
  return (req: Request, res: Response, next: NextFunction): void => {
    auth.authenticate(req).then(
      (verdict) => decide(req, res, next, verdict),
      (err: unknown) => next(err),
    );
  };
}
