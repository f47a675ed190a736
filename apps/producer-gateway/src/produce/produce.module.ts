import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { KafkaModule } from '../kafka/kafka.module';
import { ProduceMetrics } from './produce-metrics';
import { ProduceOutcomes } from './produce-outcomes';
import { ProduceController } from './v2/produce.controller';
import { V2ProduceHandler } from './v2/produce.handler';
import { ProduceHotRoute } from './v2/produce.route';
import { ProduceService } from './v2/produce.service';
import { ProduceRecordsController } from './v3/produce-records.controller';
import { ProduceRecordsService } from './v3/produce-records.service';

/** Produce: v2 `POST /topics/{t}[/partitions/{p}]` and v3 `POST .../topics/{t}/records`. */
@Module({
  imports: [KafkaModule, IdempotencyModule],
  controllers: [ProduceController, ProduceRecordsController],
  providers: [
    ProduceMetrics,
    ProduceOutcomes,
    ProduceService,
    V2ProduceHandler,
    ProduceHotRoute,
    ProduceRecordsService,
  ],
})
export class ProduceModule {}
