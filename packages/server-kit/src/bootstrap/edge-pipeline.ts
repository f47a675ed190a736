import type { NestExpressApplication } from '@nestjs/platform-express';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config/edge.config';
import { ErrorResponder } from '../errors/error-responder';
import { corsMiddleware } from '../http/cors';
import { endpointAccessMiddleware } from '../http/endpoint-access';
import { globalQuotaMiddleware, principalQuotaMiddleware } from '../quota/quota.middleware';
import type { QuotaService } from '../quota/quota.service';

/**
 * The edge middleware in the order it must run, after the request id/access log and metrics
 * and before forwarding and body parsing:
 *
 *   1. CORS: a preflight carries no credentials, so it is answered before authentication.
 *   2. Endpoint allow/block lists: a disabled endpoint costs no credential check (Confluent's
 *      filter also runs before authentication).
 *   3. The global requests/s limit of this replica (it also shields authentication).
 *   4. AUTHENTICATION: `authentication` goes exactly here; it sets the principal.
 *   5. Per-principal quotas: they read the principal.
 *
 * Whatever is not configured is left out entirely, so a gateway without these features runs
 * none of their code.
 */
export function edgeMiddleware(options: {
  app: NestExpressApplication;
  edge: EdgeConfig;
  logger: Logger;
  quotas: QuotaService | undefined;
  authentication: readonly RequestHandler[];
}): RequestHandler[] {
  const { app, edge, logger, quotas } = options;
  const responder = app.get(ErrorResponder);
  const audit = logger.child({ component: 'audit' });
  const chain: RequestHandler[] = [];
  if (edge.cors !== undefined) chain.push(corsMiddleware(edge.cors, responder));
  if (edge.endpoints !== undefined) {
    chain.push(endpointAccessMiddleware(edge.endpoints, responder, audit));
  }
  if (quotas?.hasGlobalLimit === true) chain.push(globalQuotaMiddleware(quotas, responder, audit));
  chain.push(...options.authentication);
  if (quotas?.hasPrincipalQuotas === true) {
    chain.push(principalQuotaMiddleware(quotas, responder, audit));
  }
  return chain;
}
