import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { wantsEventStream } from '../http/event-stream';
import { meterStreamWrites } from './stream-meter';
import type { Logger } from 'pino';
import { auditDenial } from '../auth/audit';
import { principalOf } from '../auth/principal';
import type { ErrorResponder } from '../errors/error-responder';
import { Errors } from '../errors/gateway-errors';
import { requestEndpoint } from '../http/endpoint-access';
import type { Endpoint } from '../http/endpoint-names';
import { requestId } from '../http/request-log.middleware';
import { closeAfterResponse, declaredLength, hasBody } from '../http/server-limits';
import { setByteMeter } from './byte-meter';
import type { QuotaName, QuotaService } from './quota.service';
import { retryAfterSeconds } from './token-bucket';

/** The streaming v3 produce: its bytes are charged record by record as the body streams. */
const STREAMING_PRODUCE = 'api.v3.produce.produce-to-topic';

/** Who the global limit refuses: it runs before authentication has named anyone. */
const BEFORE_AUTHENTICATION = 'unauthenticated';

interface Refusal {
  readonly principal: string;
  readonly endpoint: Endpoint | undefined;
  readonly quota: QuotaName;
  readonly waitMs: number;
}

function refuse(
  quotas: QuotaService,
  responder: ErrorResponder,
  logger: Logger,
  req: Request,
  res: Response,
  r: Refusal,
): void {
  quotas.countRefusal(r.quota);
  auditDenial(logger, {
    principal: r.principal,
    operation:
      r.quota === 'fetch_bytes' ? 'consume' : r.quota === 'global_requests' ? 'request' : 'produce',
    resource: `endpoint:${r.endpoint?.name ?? 'unknown'}`,
    reason: `over ${r.quota} quota`,
    requestId: requestId(req),
  });
  // the body is not read: close rather than drain whatever the client is still sending
  if (hasBody(req)) closeAfterResponse(res);
  responder.send(req, res, Errors.rateLimited(retryAfterSeconds(r.waitMs)));
}

/** Every request this replica serves, before authentication (it also shields the checks). */
export function globalQuotaMiddleware(
  quotas: QuotaService,
  responder: ErrorResponder,
  logger: Logger,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const waitMs = quotas.admitGlobal();
    if (waitMs === 0) return next();
    const endpoint = requestEndpoint(req);
    refuse(quotas, responder, logger, req, res, {
      principal: BEFORE_AUTHENTICATION,
      endpoint,
      quota: 'global_requests',
      waitMs,
    });
  };
}

/**
 * The per-principal quotas, after authentication. Produce requests (v2, v3 streaming and
 * records:batch) take a request token and their bytes: a declared Content-Length up front;
 * otherwise the bytes as they are read (the byte meter), refused only while in debt until then.
 * A records fetch is refused while the principal is in debt and charged the bytes it returned;
 * a records stream (SSE) is charged as it is written and slowed while the principal is in debt.
 */
export function principalQuotaMiddleware(
  quotas: QuotaService,
  responder: ErrorResponder,
  logger: Logger,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const endpoint = requestEndpoint(req);
    if (endpoint === undefined || endpoint.kind === 'other') return next();
    const principal = principalOf(req).name;
    if (endpoint.kind === 'fetch') {
      const waitMs = quotas.fetchWait(principal);
      if (waitMs > 0) {
        refuse(quotas, responder, logger, req, res, {
          principal,
          endpoint,
          quota: 'fetch_bytes',
          waitMs,
        });
        return;
      }
      if (quotas.limitsFetchBytes(principal) && wantsEventStream(req.headers.accept)) {
        // a records stream (SSE) has no length: charged as written, slowed while in debt
        meterStreamWrites(res, (bytes) => {
          quotas.chargeFetch(principal, bytes);
          return quotas.fetchWait(principal);
        });
      } else if (quotas.limitsFetchBytes(principal)) {
        // Express (and the forwarder, copying the owner's answer) sends records with a length
        res.once('finish', () => quotas.chargeFetch(principal, declaredResponseLength(res)));
      }
      return next();
    }
    const streaming = endpoint.name === STREAMING_PRODUCE;
    const declared = streaming ? undefined : declaredLength(req);
    const refusal = quotas.admitProduce(principal, declared);
    if (refusal !== undefined) {
      refuse(quotas, responder, logger, req, res, { principal, endpoint, ...refusal });
      return;
    }
    if (declared === undefined && quotas.limitsProduceBytes(principal)) {
      let audited = false;
      setByteMeter(req, (bytes) => {
        const waitMs = quotas.admitProduceBytes(principal, bytes);
        if (waitMs === 0) return undefined;
        quotas.countRefusal('produce_bytes');
        if (!audited) {
          // one audit line per request, however many of its streamed records are refused
          audited = true;
          auditDenial(logger, {
            principal,
            operation: 'produce',
            resource: `endpoint:${endpoint.name}`,
            reason: 'over produce_bytes quota',
            requestId: requestId(req),
          });
        }
        return Errors.rateLimited(retryAfterSeconds(waitMs));
      });
    }
    next();
  };
}

function declaredResponseLength(res: Response): number {
  const v = res.getHeader('content-length');
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0;
  return Number.isFinite(n) && n > 0 ? n : 0;
}
