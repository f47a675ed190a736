import { Authorize, topicParam } from '@kafka-gateway/server-kit';
import { Body, Controller, HttpCode, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import type { Request, Response } from 'express';
import { V3JsonInterceptor } from '../../common/v3-json.interceptor';
import { IdempotencyInterceptor } from '../../idempotency/idempotency.interceptor';
import { type BatchResponse, ProduceRecordsService } from './produce-records.service';

@Controller('v3/clusters/:cluster/topics/:topic')
export class ProduceRecordsController {
  constructor(private readonly records: ProduceRecordsService) {}

  /** Streams results itself (hence @Res): one JSON line per record, in order. */
  @Authorize('produce', topicParam())
  @Post('records')
  produce(
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.records.produce(cluster, topic, req, res);
  }

  // `records:batch` is a literal segment (custom method), hence the escape; 207 Multi-Status.
  @Authorize('produce', topicParam())
  @Post('records\\:batch')
  @HttpCode(207)
  @UseInterceptors(V3JsonInterceptor, IdempotencyInterceptor)
  produceBatch(
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Req() req: Request,
  ): Promise<BatchResponse> {
    return this.records.produceBatch(cluster, topic, body, req);
  }
}
