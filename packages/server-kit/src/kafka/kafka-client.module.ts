import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { CommonConfig } from '../config/common.config';
import { KAFKA_CLIENT_CONFIG, KafkaClientFactory } from './kafka-client.factory';
import { ManagedAdmin } from './managed-admin';

/** The Kafka client factory and the managed admin client, one of each per process. */
@Global()
@Module({})
export class KafkaClientModule {
  static forRoot(config: CommonConfig): DynamicModule {
    return {
      module: KafkaClientModule,
      providers: [
        { provide: KAFKA_CLIENT_CONFIG, useValue: config },
        KafkaClientFactory,
        ManagedAdmin,
      ],
      exports: [KafkaClientFactory, ManagedAdmin],
    };
  }
}
