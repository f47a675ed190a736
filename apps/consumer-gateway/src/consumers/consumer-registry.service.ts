import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnModuleInit,
} from '@nestjs/common';
import { CodecError, type EmbeddedFormat, isSchemaFormat, SchemaSerde } from '@kafka-gateway/codec';
import { GatewayError, LOGGER } from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';
import { KafkaService } from '../kafka/kafka.service';
import type { ConsumerEvents } from '../kafka/kafka-consumer.adapter';
import { ConsumerInstance } from './consumer-instance';
import { ConsumerMetrics } from './consumer-metrics';
import type { CreateConsumerRequest } from './consumer-requests.parser';
import { createDecoders, type RecordDecoder } from './record-decoder';
import { RoutingService } from '../routing/routing.service';

const key = (group: string, name: string): string => `${group}\u0000${name}`;

/**
 * The consumer instances of this replica. Each lives here until deleted, idle past
 * `CONSUMER_INSTANCE_TIMEOUT_MS`, or the process shuts down; every closing leaves the group.
 */
@Injectable()
export class ConsumerRegistryService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly instances = new Map<string, ConsumerInstance>();
  private sweeper: NodeJS.Timeout | undefined;
  private committer: NodeJS.Timeout | undefined;
  private readonly decoders: Readonly<Record<EmbeddedFormat, RecordDecoder>>;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly kafka: KafkaService,
    private readonly metrics: ConsumerMetrics,
    private readonly schemas: SchemaSerde,
    private readonly routing: RoutingService,
  ) {
    routing.track(() =>
      [...this.instances.values()].map((i) => ({ group: i.group, instance: i.name })),
    );
    this.decoders = createDecoders(schemas);
    metrics.metrics.gauge(
      'kafka_gateway_consumer_instances',
      'Live consumer instances on this replica',
      [],
      (g) => g.set(this.instances.size),
    );
    metrics.metrics.gauge(
      'kafka_gateway_consumer_lag_records',
      'Records between what instances returned and the log end, summed',
      [],
      (g) => {
        let lag = 0;
        for (const i of this.instances.values()) lag += i.lag();
        g.set(lag);
      },
    );
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.expireIdle(), 1000);
    this.sweeper.unref();
    this.committer = setInterval(() => void this.autoCommitAll(), 5000);
    this.committer.unref();
  }

  /** Before Kafka and Redis clients shut down: every instance leaves its group and its claim. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    clearInterval(this.committer);
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.allSettled(
      all.map(async (i) => {
        await this.routing.release({ group: i.group, instance: i.name });
        await i.close();
      }),
    );
  }

  has(group: string, name: string): boolean {
    return this.instances.has(key(group, name));
  }

  async create(group: string, request: CreateConsumerRequest): Promise<ConsumerInstance> {
    const name = request.name ?? `rest-consumer-${randomUUID()}`;
    const k = key(group, name);
    if (this.instances.has(k)) {
      throw new GatewayError(
        'consumer_instance_exists',
        'Consumer with specified consumer ID already exists in the specified consumer group.',
      );
    }
    if (this.instances.size >= this.config.consumers.maxInstances) {
      throw new GatewayError(
        'too_many_consumer_instances',
        `This gateway replica already holds ${this.config.consumers.maxInstances} consumer instances (CONSUMER_MAX_INSTANCES); delete unused instances`,
      );
    }
    if (isSchemaFormat(request.format) && !this.schemas.configured) {
      throw new CodecError(
        'schema_registry_not_configured',
        'Payload error. Schema Registry must be configured when using schemas.',
      );
    }
    const settings = {
      format: request.format,
      decoder: this.decoders[request.format],
      autoCommit: request.autoCommit,
      fetchMinBytes: request.fetchMinBytes,
      requestTimeoutMs: request.requestTimeoutMs ?? this.config.consumers.requestTimeoutMs,
      maxBufferBytes: this.config.consumers.maxBufferBytes,
    };
    const consumerSettings = {
      group,
      fromBeginning: request.autoOffsetReset === 'earliest',
      sessionTimeoutMs: this.config.consumers.sessionTimeoutMs,
    };
    const metrics = this.metrics;
    const instance = new ConsumerInstance(group, name, settings, (events: ConsumerEvents) =>
      this.kafka.createConsumer(consumerSettings, {
        onBatch: (r, hw, stale) => events.onBatch(r, hw, stale),
        onAssignment: (a) => {
          metrics.rebalances.inc();
          events.onAssignment(a);
        },
        onCrash: (e) => events.onCrash(e),
      }),
    );
    // Ownership first: a name another replica holds is refused before anything is created here.
    await this.routing.claim({ group, instance: name });
    if (this.instances.has(k)) {
      throw new GatewayError(
        'consumer_instance_exists',
        'Consumer with specified consumer ID already exists in the specified consumer group.',
      );
    }
    this.instances.set(k, instance);
    this.logger.info(
      { group, instance: name, format: request.format },
      'consumer instance created',
    );
    return instance;
  }

  /** The instance, touched; 404/40403 when it does not live here. */
  get(group: string, name: string): ConsumerInstance {
    const instance = this.instances.get(key(group, name));
    if (instance === undefined)
      throw new GatewayError('consumer_instance_not_found', 'Consumer instance not found.');
    instance.touch();
    return instance;
  }

  async delete(group: string, name: string): Promise<void> {
    const instance = this.get(group, name);
    this.instances.delete(key(group, name));
    await this.routing.release({ group, instance: name });
    await instance.close();
    this.logger.info({ group, instance: name }, 'consumer instance deleted');
  }

  private async expireIdle(): Promise<void> {
    const deadline = Date.now() - this.config.consumers.instanceTimeoutMs;
    for (const [k, instance] of this.instances) {
      if (instance.idleSince() < deadline) {
        this.instances.delete(k);
        this.logger.info(
          { group: instance.group, instance: instance.name },
          'consumer instance expired',
        );
        await this.routing.release({ group: instance.group, instance: instance.name });
        await instance
          .close()
          .catch((err: unknown) => this.logger.warn({ err }, 'closing an expired instance failed'));
      }
    }
  }

  private async autoCommitAll(): Promise<void> {
    for (const instance of this.instances.values()) {
      await instance.autoCommit().catch((err: unknown) => {
        this.metrics.commitErrors.inc();
        this.logger.warn(
          { err, group: instance.group, instance: instance.name },
          'auto-commit failed',
        );
      });
    }
  }

  size(): number {
    return this.instances.size;
  }
}
