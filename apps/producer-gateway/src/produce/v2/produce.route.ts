import { Inject, Injectable } from '@nestjs/common';
import {
  Authorizer,
  declaredAuthorization,
  enforceRouteAuthorization,
  ErrorResponder,
  type HotRoute,
  type RouteAuthorization,
} from '@kafka-gateway/server-kit';
import type { Request, Response } from 'express';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../../config/producer.config';
import { REPLAYED_HEADER } from '../../idempotency/keyed-request';
import { ProduceController } from './produce.controller';
import { negotiateProduce, V2ProduceHandler, type V2ProduceAnswer } from './produce.handler';

/** The controller's routes as Express paths (`@Controller('topics')` + each `@Post`). */
export const TO_TOPIC_PATH = '/topics/:topic';
export const TO_PARTITION_PATH = '/topics/:topic/partitions/:partition';

/**
 * v2 produce served by a plain Express handler ahead of Nest's router (PRODUCE_HOT_ROUTE, on by
 * default). A CPU profile of single-record produce showed Nest's per-request execution context
 * (guards context, param factories, response controller) and Express' `res.json`/`res.send` as
 * a large share of the request's CPU (bench/results/2026-12-02-perf2-ab.md). It does what the
 * controller's pipeline does, in the same order: the global AuthorizationGuard's check with the
 * controller method's own `@Authorize` declaration, then ProduceFormatGuard's 415/406, then
 * V2ProduceHandler (idempotency, ProduceService); errors go to ErrorResponder as Nest's
 * exception filter sends them. Everything before the router (access log, metrics, tracing,
 * CORS, endpoint lists, quotas, authentication, body parsing) runs as for any route.
 */
@Injectable()
export class ProduceHotRoute {
  private readonly toTopicAuthz: RouteAuthorization | undefined;
  private readonly toPartitionAuthz: RouteAuthorization | undefined;

  constructor(
    private readonly handler: V2ProduceHandler,
    private readonly authorizer: Authorizer,
    private readonly responder: ErrorResponder,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
  ) {
    this.toTopicAuthz = declaredAuthorization(ProduceController, 'toTopic');
    this.toPartitionAuthz = declaredAuthorization(ProduceController, 'toPartition');
  }

  /** The hot routes to register (none with PRODUCE_HOT_ROUTE=false). */
  routes(): HotRoute[] {
    if (!this.config.produce.hotRoute) return [];
    return [
      {
        method: 'post',
        path: TO_TOPIC_PATH,
        handler: (req, res) => void this.serve(req, res, false),
      },
      {
        method: 'post',
        path: TO_PARTITION_PATH,
        handler: (req, res) => void this.serve(req, res, true),
      },
    ];
  }

  /** One request, answered whatever happens (never rejects). */
  async serve(req: Request, res: Response, toPartition: boolean): Promise<void> {
    try {
      enforceRouteAuthorization(
        this.authorizer,
        req,
        toPartition ? this.toPartitionAuthz : this.toTopicAuthz,
      );
      const { format, responseType } = negotiateProduce(req.headers);
      res.setHeader('Content-Type', responseType);
      const answer = await this.handler.answer(
        req,
        pathParam(req, 'topic'),
        toPartition ? pathParam(req, 'partition') : undefined,
        format,
      );
      write(res, answer);
    } catch (err) {
      this.responder.send(req, res, err);
    }
  }
}

/** A named path segment (`:name` is always one string; the type also allows wildcards). */
function pathParam(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** What Express' `res.json`/`res.send` would write for this answer, without their checks. */
function write(res: Response, answer: V2ProduceAnswer): void {
  const text = answer.replayed ? answer.body : JSON.stringify(answer.body);
  res.statusCode = answer.status;
  if (answer.replayed) res.setHeader(REPLAYED_HEADER, 'true');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
