import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RecordsService } from './records.service';

@Controller('v3/clusters/:cluster/topics/:topic/records')
export class RecordsController {
  constructor(private readonly records: RecordsService) {}

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
