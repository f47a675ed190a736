import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ProduceRecordsService } from './produce-records.service';

@Controller('v3/clusters/:cluster/topics/:topic/records')
export class ProduceRecordsController {
  constructor(private readonly records: ProduceRecordsService) {}

  /** Streams results itself (hence @Res): one JSON line per record, in order. */
  @Post()
  produce(
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.records.produce(cluster, topic, req, res);
  }
}
