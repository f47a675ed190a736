import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER } from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';
import {
  IDEMPOTENCY_STORE,
  type IdempotencyStore,
  InMemoryIdempotencyStore,
} from './idempotency-store';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyService } from './idempotency.service';
import { RedisIdempotencyStore } from './redis-idempotency.store';

/** Idempotent produce: keys in Redis with `REDIS_URL` (shared by replicas), in memory otherwise. */
@Module({
  providers: [
    {
      provide: IDEMPOTENCY_STORE,
      inject: [PRODUCER_CONFIG, LOGGER],
      useFactory: (config: ProducerGatewayConfig, logger: Logger): IdempotencyStore =>
        config.redis === undefined
          ? new InMemoryIdempotencyStore(config.idempotency.memoryMaxBytes)
          : new RedisIdempotencyStore(config.redis, logger),
    },
    IdempotencyService,
    IdempotencyInterceptor,
  ],
  exports: [IdempotencyService, IdempotencyInterceptor],
})
export class IdempotencyModule implements OnApplicationShutdown {
  constructor(@Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
