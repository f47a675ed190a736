import { Global, Module } from '@nestjs/common';
import { LOGGER, TraceService } from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';
import { Forwarder } from './forwarder';
import { InMemoryOwnershipStore, type OwnershipStore } from './ownership-store';
import { RedisOwnershipStore } from './redis-ownership-store';
import { FORWARDER, OWNERSHIP_STORE, RoutingService } from './routing.service';

/** Consumer-instance ownership (Redis with `REDIS_URL`, in memory otherwise) and forwarding. */
@Global()
@Module({
  providers: [
    {
      provide: OWNERSHIP_STORE,
      inject: [CONSUMER_CONFIG, LOGGER],
      useFactory: (config: ConsumerGatewayConfig, logger: Logger): OwnershipStore => {
        const r = config.routing;
        if (r.redisUrl === undefined) return new InMemoryOwnershipStore();
        return new RedisOwnershipStore({
          url: r.redisUrl,
          keyPrefix: r.redisKeyPrefix,
          replicaId: r.replicaId,
          internalUrl: r.internalUrl,
          ttlMs: r.ownershipTtlMs,
          logger,
          ...(r.redisUsername === undefined ? {} : { username: r.redisUsername }),
          ...(r.redisPassword === undefined ? {} : { password: r.redisPassword }),
          ...(r.redisCaFile === undefined ? {} : { caFile: r.redisCaFile }),
        });
      },
    },
    {
      provide: FORWARDER,
      inject: [CONSUMER_CONFIG, TraceService],
      useFactory: (config: ConsumerGatewayConfig, tracing: TraceService): Forwarder | null => {
        const r = config.routing;
        // Only a shared ownership table can name another replica to forward to.
        if (r.redisUrl === undefined) return null;
        return new Forwarder(
          r.replicaId,
          r.internalToken ?? '',
          r.forwardConnectTimeoutMs,
          r.internalTls,
          tracing.enabled ? (req, headers) => tracing.inject(req, headers) : undefined,
        );
      },
    },
    RoutingService,
  ],
  exports: [RoutingService],
})
export class RoutingModule {}
