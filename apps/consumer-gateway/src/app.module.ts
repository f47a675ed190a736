import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, SchemaModule, ServerKitModule } from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from './config/consumer.config';
import { ConsumersModule } from './consumers/consumers.module';
import { KafkaModule } from './kafka/kafka.module';
import { RoutingModule } from './routing/routing.module';

/**
 * consumer-gateway: the stateful half (consumer instances under /consumers). This foundation
 * carries config, Kafka connectivity, health and metrics; the consumer API modules plug in here.
 */
@Module({})
export class AppModule {
  static forRoot(config: ConsumerGatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServerKitModule.forRoot({ service: 'consumer-gateway', logger }),
        ConfigModule.forRoot(CONSUMER_CONFIG, config),
        SchemaModule.forRoot(config.schemaRegistry),
        KafkaModule,
        RoutingModule,
        ConsumersModule,
      ],
    };
  }
}
