import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { GatewayError, LOGGER, MetricsService } from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';
import { Forwarder } from './forwarder';
import {
  type InstanceRef,
  InMemoryOwnershipStore,
  type Owner,
  type OwnershipStore,
} from './ownership-store';
import { RedisOwnershipStore } from './redis-ownership-store';

/**
 * Sticky routing without sticky load balancers: which replica owns each consumer instance, kept
 * in Redis when replicas scale out (in memory for a single replica). The owner heartbeats its
 * records; any replica resolves an instance it does not hold to the owner's registered address.
 */
@Injectable()
export class RoutingService implements OnModuleInit, OnApplicationShutdown {
  readonly store: OwnershipStore;
  readonly forwarder: Forwarder | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private local: () => readonly InstanceRef[] = () => [];
  private readonly token: string | undefined;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    const r = config.routing;
    this.token = r.internalToken;
    if (r.redisUrl === undefined) {
      this.store = new InMemoryOwnershipStore();
    } else {
      this.store = new RedisOwnershipStore({
        url: r.redisUrl,
        keyPrefix: r.redisKeyPrefix,
        replicaId: r.replicaId,
        internalUrl: r.internalUrl,
        ttlMs: r.ownershipTtlMs,
        logger,
      });
      this.forwarder = new Forwarder(r.replicaId, r.internalToken ?? '', r.forwardConnectTimeoutMs);
    }
    metrics.gauge(
      'kafka_gateway_routing_store_up',
      'Whether the consumer-instance ownership store (Redis) is reachable (1) or not (0)',
      [],
      (g) => g.set(this.store.status().available ? 1 : 0),
    );
  }

  get shared(): boolean {
    return this.store.shared;
  }

  get replicaId(): string {
    return this.config.routing.replicaId;
  }

  /** The registry tells routing which instances it holds (heartbeats re-assert them). */
  track(local: () => readonly InstanceRef[]): void {
    this.local = local;
  }

  onModuleInit(): void {
    if (!this.store.shared) return;
    this.logger.info(
      { replicaId: this.replicaId, internalUrl: this.config.routing.internalUrl },
      'consumer instance ownership in Redis',
    );
    this.store.onReconnect(() => void this.beat());
    this.heartbeatTimer = setInterval(
      () => void this.beat(),
      Math.floor(this.config.routing.ownershipTtlMs / 3),
    );
    this.heartbeatTimer.unref();
  }

  private async beat(): Promise<void> {
    try {
      await this.store.heartbeat(this.local());
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'ownership heartbeat failed');
    }
  }

  /** Claims a new instance for this replica; 409 when a live replica already owns the name. */
  async claim(ref: InstanceRef): Promise<void> {
    if (!(await this.store.claim(ref))) {
      throw new GatewayError(
        'consumer_instance_exists',
        'Consumer with specified consumer ID already exists in the specified consumer group.',
      );
    }
  }

  async release(ref: InstanceRef): Promise<void> {
    try {
      await this.store.release(ref);
    } catch (err) {
      // the record expires on its own; lookups treat it as stale once the instance is gone
      this.logger.warn({ err: (err as Error).message, ...ref }, 'releasing ownership failed');
    }
  }

  /**
   * The owner of an instance this replica does not hold, or undefined when there is none.
   * Right after Redis came back the owners may not have re-registered yet: a miss then waits
   * briefly for their heartbeat instead of answering 404 for a live instance.
   */
  async owner(ref: InstanceRef): Promise<Owner | undefined> {
    const deadline = Date.now() + 1500;
    for (;;) {
      const found = await this.store.lookup(ref);
      if (found.kind === 'owner') return found.owner;
      if (!this.store.status().justReconnected || Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async evict(ref: InstanceRef, replicaId: string): Promise<void> {
    await this.store.evict(ref, replicaId).catch(() => undefined);
  }

  /** Whether a request was forwarded by a replica (authenticated by the shared token). */
  isForwarded(tokenHeader: string | string[] | undefined): boolean {
    return (
      this.token !== undefined &&
      typeof tokenHeader === 'string' &&
      tokenHeader.length === this.token.length &&
      timingSafeEqual(Buffer.from(tokenHeader), Buffer.from(this.token))
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.forwarder?.close();
    await this.store.close();
  }
}
