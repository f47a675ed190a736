import {
  GatewayError,
  MetricsService,
  toErrorResponse,
  writeErrorResponse,
} from '@kafka-gateway/server-kit';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ConsumerRegistryService } from '../consumers/consumer-registry.service';
import { FORWARD_TOKEN } from './forwarder';
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
 * replica untouched. Requests for local instances, requests already forwarded by a replica, and
 * everything when ownership is not shared go on to the local handlers.
 */
export function forwardingMiddleware(
  routing: RoutingService,
  registry: ConsumerRegistryService,
  metrics: MetricsService,
): RequestHandler {
  const forwards = metrics.counter(
    'kafka_gateway_forwarded_requests_total',
    'Requests for consumer instances owned by another replica, by outcome',
    ['outcome'],
  );
  const forwardDuration = metrics.histogram(
    'kafka_gateway_forward_duration_seconds',
    'Duration of requests forwarded to the owning replica',
    ['outcome'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  const fail = (req: Request, res: Response, err: unknown): void => {
    writeErrorResponse(req, res, toErrorResponse(err));
  };

  return (req: Request, res: Response, next: NextFunction): void => {
    const forwarder = routing.forwarder;
    if (forwarder === undefined) return next();
    const ref = instanceRef(req.path);
    if (ref === undefined || registry.has(ref.group, ref.instance)) return next();
    if (routing.isForwarded(req.headers[FORWARD_TOKEN])) return next(); // never forward twice
    const started = process.hrtime.bigint();
    void (async () => {
      const owner = await routing.owner(ref);
      if (owner === undefined) return next();
      const outcome = await forwarder.forward(req, res, owner.url);
      forwards.inc({ outcome });
      forwardDuration.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
      if (outcome === 'owner_unreachable') {
        await routing.evict(ref, owner.replicaId);
        fail(
          req,
          res,
          new GatewayError('consumer_instance_not_found', 'Consumer instance not found.'),
        );
      } else if (outcome === 'owner_failed') {
        fail(
          req,
          res,
          new GatewayError(
            'routing_unavailable',
            'The replica owning this consumer instance did not answer',
            {
              retriable: true,
              retryAfterSeconds: 1,
            },
          ),
        );
      }
    })().catch((err: unknown) => {
      forwards.inc({ outcome: 'routing_unavailable' });
      if (!res.headersSent) fail(req, res, err);
      else res.destroy();
    });
  };
}
