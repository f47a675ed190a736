import { Authorize, topicParam } from '@kafka-gateway/server-kit';
import {
  type CanActivate,
  Controller,
  createParamDecorator,
  type ExecutionContext,
  HttpCode,
  Injectable,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { EmbeddedFormat } from '@kafka-gateway/codec';
import type { Request, Response } from 'express';
import { REPLAYED_HEADER } from '../../idempotency/keyed-request';
import type { ProduceResponse } from './produce.service';
import { negotiateProduce, V2ProduceHandler, type V2ProduceAnswer } from './produce.handler';

const FORMAT = Symbol('embeddedFormat');
type WithFormat = Request & { [FORMAT]?: EmbeddedFormat };

/**
 * Reads the embedded format from Content-Type, then negotiates Accept (415 before 406) and
 * labels the response, as `V2JsonInterceptor` does for the other v2 resources. Done here rather
 * than in that interceptor because Nest's interceptor chain (rxjs `defer`/`mergeAll` and two
 * `AsyncResource.bind` per request) was a measurable share of a single-record produce's CPU
 * (bench/results/2026-12-02-perf-profile.md); guards run in the same order before the handler.
 */
@Injectable()
export class ProduceFormatGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<WithFormat>();
    const { format, responseType } = negotiateProduce(req.headers);
    req[FORMAT] = format;
    // a one-element array: Express appends "; charset=utf-8" to a string Content-Type
    http.getResponse<Response>().setHeader('Content-Type', [responseType]);
    return true;
  }
}

const Format = createParamDecorator((_: unknown, ctx: ExecutionContext): EmbeddedFormat => {
  return ctx.switchToHttp().getRequest<WithFormat>()[FORMAT] ?? 'binary';
});

/** The answer's status (and replay mark); Nest serializes the body (a replay's text as it is). */
function reply(res: Response, answer: V2ProduceAnswer): ProduceResponse | string {
  res.status(answer.status);
  if (answer.replayed) res.setHeader(REPLAYED_HEADER, 'true');
  return answer.body;
}

/**
 * v2 produce. `ProduceHotRoute` serves the same two routes below Nest's router (with the same
 * guards, errors and V2ProduceHandler); this controller is their contract and serves them when
 * PRODUCE_HOT_ROUTE=false. Idempotency-Key is handled in V2ProduceHandler, after the guards (so
 * a 406 never claims a key), without an interceptor: a request without a key pays nothing.
 */
@Controller('topics')
@UseGuards(ProduceFormatGuard)
export class ProduceController {
  constructor(private readonly handler: V2ProduceHandler) {}

  @Authorize('produce', topicParam())
  @Post(':topic')
  @HttpCode(200)
  async toTopic(
    @Param('topic') topic: string,
    @Format() format: EmbeddedFormat,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProduceResponse | string> {
    return reply(res, await this.handler.answer(req, topic, undefined, format));
  }

  @Authorize('produce', topicParam())
  @Post(':topic/partitions/:partition')
  @HttpCode(200)
  async toPartition(
    @Param('topic') topic: string,
    @Param('partition') partition: string,
    @Format() format: EmbeddedFormat,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProduceResponse | string> {
    return reply(res, await this.handler.answer(req, topic, partition, format));
  }
}
