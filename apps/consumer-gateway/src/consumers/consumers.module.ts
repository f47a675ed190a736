import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { ConsumerMetrics } from './consumer-metrics';
import { ConsumerRegistryService } from './consumer-registry.service';
import { ConsumersController } from './consumers.controller';
import { ConsumersService } from './consumers.service';
import { ConsumerStreamService } from './streaming/consumer-stream.service';

@Module({
  imports: [KafkaModule],
  controllers: [ConsumersController],
  providers: [ConsumerRegistryService, ConsumersService, ConsumerStreamService, ConsumerMetrics],
})
export class ConsumersModule {}
