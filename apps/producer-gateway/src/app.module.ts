import { type DynamicModule, Module } from '@nestjs/common';
import {
  AuthzModule,
  ConfigModule,
  KafkaClientModule,
  SchemaModule,
  ServerKitModule,
} from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from './config/producer.config';
import { AdminModule } from './admin/admin.module';
import { MetadataModule } from './metadata/metadata.module';
import { ProduceModule } from './produce/produce.module';
import { V1PathsController } from './legacy/v1-paths.controller';
import { RootController } from './root/root.controller';

/** producer-gateway: the stateless half (v2 and v3 produce, metadata, v3 administration). */
@Module({})
export class AppModule {
  static forRoot(config: ProducerGatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServerKitModule.forRoot({
          service: 'producer-gateway',
          logger,
          topicLabelLimit: config.metrics.topicLabelLimit,
          tracing: config.tracing,
        }),
        AuthzModule.forRoot(config.authz),
        ConfigModule.forRoot(PRODUCER_CONFIG, config),
        SchemaModule.forRoot(config.schemaRegistry),
        KafkaClientModule.forRoot(config),
        MetadataModule,
        ProduceModule,
        AdminModule,
      ],
      controllers: [RootController, V1PathsController],
    };
  }
}
