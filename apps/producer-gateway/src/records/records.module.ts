import type { IncomingMessage } from 'node:http';
import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { ProduceModule } from '../produce/produce.module';
import { RecordsController } from './records.controller';
import { RecordsService } from './records.service';

const RECORDS_PATH = /^\/v3\/clusters\/[^/]+\/topics\/[^/]+\/records\/?(\?.*)?$/;

/** Requests the JSON body parser must leave alone: v3 produce reads its body as a stream. */
export function isStreamingProduce(req: IncomingMessage): boolean {
  return req.method === 'POST' && RECORDS_PATH.test(req.url ?? '');
}

/** v3 produce: `POST /v3/clusters/{c}/topics/{t}/records` (single or streamed records). */
@Module({
  imports: [KafkaModule, ProduceModule],
  controllers: [RecordsController],
  providers: [RecordsService],
})
export class RecordsModule {}
