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
  UseInterceptors,
} from '@nestjs/common';
import { type EmbeddedFormat, negotiateV2Json, produceFormat } from '@kafka-gateway/codec';
import {
  principalOf,
  RECORD_METADATA_HEADER,
  recordMetadataHeader,
} from '@kafka-gateway/server-kit';
import { partitionParam } from '../../common/path-params';
import { IdempotencyInterceptor } from '../../idempotency/idempotency.interceptor';
import type { Request, Response } from 'express';
import { ProduceService, type ProduceResponse } from './produce.service';

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
    req[FORMAT] = produceFormat(req.headers['content-type']);
    const type = negotiateV2Json(req.headers.accept);
    // a one-element array: Express appends "; charset=utf-8" to a string Content-Type
    http.getResponse<Response>().setHeader('Content-Type', [type]);
    return true;
  }
}

const Format = createParamDecorator((_: unknown, ctx: ExecutionContext): EmbeddedFormat => {
  return ctx.switchToHttp().getRequest<WithFormat>()[FORMAT] ?? 'binary';
});

@Controller('topics')
@UseGuards(ProduceFormatGuard)
// Idempotency after content negotiation (the guard), so a 406 never claims a key.
@UseInterceptors(IdempotencyInterceptor)
export class ProduceController {
  constructor(private readonly produce: ProduceService) {}

  @Authorize('produce', topicParam())
  @Post(':topic')
  @HttpCode(200)
  async toTopic(
    @Param('topic') topic: string,
    @Format() format: EmbeddedFormat,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProduceResponse> {
    const result = await this.produce.produce(
      topic,
      undefined,
      format,
      req.body,
      principalOf(req),
      recordMetadataHeader(req.headers[RECORD_METADATA_HEADER]),
    );
    res.status(result.status);
    return result.body;
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
  ): Promise<ProduceResponse> {
    const result = await this.produce.produce(
      topic,
      partitionParam(partition),
      format,
      req.body,
      principalOf(req),
      recordMetadataHeader(req.headers[RECORD_METADATA_HEADER]),
    );
    res.status(result.status);
    return result.body;
  }
}
