import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { ProduceController } from './produce.controller';
import { ProduceService } from './produce.service';
import { ProduceMetrics } from './produce-metrics';

@Module({
  imports: [KafkaModule],
  controllers: [ProduceController],
  providers: [ProduceService, ProduceMetrics],
  exports: [ProduceMetrics],
})
export class ProduceModule {}
