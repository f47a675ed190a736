import { type DynamicModule, Module } from '@nestjs/common';
import {
  AuthzModule,
  ConfigModule,
  KafkaClientModule,
  SchemaModule,
  ServerKitModule,
} from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from './config/consumer.config';
import { ConsumersModule } from './consumers/consumers.module';
import { V1ConsumerPathsController } from './legacy/v1-paths.controller';
import { RoutingModule } from './routing/routing.module';

/**
 * consumer-gateway: the stateful half (v2 consumer instances under /consumers), with routing of
 * requests to the replica that owns an instance.
 */
@Module({})
export class AppModule {
  static forRoot(config: ConsumerGatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServerKitModule.forRoot({
          service: 'consumer-gateway',
          logger,
          topicLabelLimit: config.metrics.topicLabelLimit,
          tracing: config.tracing,
        }),
        AuthzModule.forRoot(config.authz),
        ConfigModule.forRoot(CONSUMER_CONFIG, config),
        SchemaModule.forRoot(config.schemaRegistry),
        KafkaClientModule.forRoot(config),
        RoutingModule,
        ConsumersModule,
      ],
      controllers: [V1ConsumerPathsController],
    };
  }
}
