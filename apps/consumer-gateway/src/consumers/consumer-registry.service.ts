import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnModuleInit,
} from '@nestjs/common';
import { CodecError, type EmbeddedFormat, isSchemaFormat, SchemaSerde } from '@kafka-gateway/codec';
import {
  ANONYMOUS,
  Authorizer,
  Errors,
  GatewayError,
  KafkaClientFactory,
  LOGGER,
  type Principal,
  propagatedCaller,
  topic as topicResource,
} from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';
import type { FetchedRecord, RecordHeader } from '../kafka/consumer-port';
import { DeadLetterProducer } from '../kafka/dead-letter.producer';
import { KafkaAdminService } from '../kafka/kafka-admin.service';
import { KafkaConsumerFactory } from '../kafka/kafka-consumer.factory';
import type { LocalInstances } from '../routing/local-instances';
import type { InstanceRef } from '../routing/ownership-store';
import { RoutingService } from '../routing/routing.service';
import { ConsumerInstance } from './consumer-instance';
import { ConsumerMetrics } from './consumer-metrics';
import type { CreateConsumerRequest, PoisonPolicy } from './consumer-requests.parser';
import { createDecoders, type RecordDecoder } from './record-decoder';

const key = (group: string, name: string): string => `${group}\u0000${name}`;

/** Headers a dead-lettered record gets beside its own (where it came from and why). */
export const DLQ_HEADERS = {
  sourceTopic: 'kafka-gateway.dlq.source-topic',
  sourcePartition: 'kafka-gateway.dlq.source-partition',
  sourceOffset: 'kafka-gateway.dlq.source-offset',
  sourceTimestamp: 'kafka-gateway.dlq.source-timestamp',
  reason: 'kafka-gateway.dlq.reason',
} as const;

/** The dead-letter copy's headers: the record's own, then those naming its origin. */
export function deadLetterHeaders(r: FetchedRecord, reason: string): RecordHeader[] {
  const text = (v: string): Buffer => Buffer.from(v, 'utf8');
  return [
    ...(r.headers ?? []),
    { key: DLQ_HEADERS.sourceTopic, value: text(r.topic) },
    { key: DLQ_HEADERS.sourcePartition, value: text(String(r.partition)) },
    { key: DLQ_HEADERS.sourceOffset, value: text(r.offset) },
    { key: DLQ_HEADERS.sourceTimestamp, value: text(r.timestamp) },
    { key: DLQ_HEADERS.reason, value: text(reason) },
  ];
}

/** How often idle instances are looked for (their timeout is CONSUMER_INSTANCE_TIMEOUT_MS). */
const IDLE_SWEEP_MS = 1000;
/** Auto-commit interval of instances with auto-commit on (Kafka's auto.commit.interval.ms). */
const AUTO_COMMIT_INTERVAL_MS = 5000;

/**
 * The consumer instances of this replica. Each lives here until deleted, idle past
 * `CONSUMER_INSTANCE_TIMEOUT_MS`, or the process shuts down; every closing leaves the group.
 */
@Injectable()
export class ConsumerRegistryService
  implements OnModuleInit, BeforeApplicationShutdown, LocalInstances
{
  private readonly instances = new Map<string, ConsumerInstance>();
  private sweeper: NodeJS.Timeout | undefined;
  private committer: NodeJS.Timeout | undefined;
  private refresher: NodeJS.Timeout | undefined;
  private refreshing = false;
  private readonly decoders: Readonly<Record<EmbeddedFormat, RecordDecoder>>;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly consumers: KafkaConsumerFactory,
    private readonly metrics: ConsumerMetrics,
    private readonly schemas: SchemaSerde,
    private readonly routing: RoutingService,
    private readonly admin: KafkaAdminService,
    private readonly authz: Authorizer,
    clients: KafkaClientFactory,
    private readonly deadLetters: DeadLetterProducer,
  ) {
    routing.attach(this);
    if (config.kafka.propagation.enabled) {
      clients.countCallerClients('consumer', () => {
        let n = 0;
        for (const i of this.instances.values()) if (i.settings.kafkaCaller !== undefined) n++;
        return n;
      });
    }
    this.decoders = createDecoders(schemas);
    metrics.metrics.gauge(
      'kafka_gateway_consumer_instances',
      'Live consumer instances on this replica',
      [],
      (g) => g.set(this.instances.size),
    );
    metrics.metrics.gauge(
      'kafka_gateway_consumer_instances_max',
      'CONSUMER_MAX_INSTANCES: consumer instances this replica accepts',
      [],
      (g) => g.set(this.config.consumers.maxInstances),
    );
    metrics.metrics.gauge(
      'kafka_gateway_consumer_buffered_bytes',
      'Key and value bytes fetched from Kafka and not yet returned, summed over instances',
      [],
      (g) => {
        let bytes = 0;
        for (const i of this.instances.values()) bytes += i.bufferedByteCount();
        g.set(bytes);
      },
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
    this.sweeper = setInterval(() => void this.expireIdle(), IDLE_SWEEP_MS);
    this.sweeper.unref();
    this.committer = setInterval(() => void this.autoCommitAll(), AUTO_COMMIT_INTERVAL_MS);
    this.committer.unref();
    this.refresher = setInterval(
      () => void this.refreshTopics(),
      this.config.consumers.metadataRefreshMs,
    );
    this.refresher.unref();
  }

  /** Before Kafka and Redis clients shut down: every instance leaves its group and its claim. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    clearInterval(this.committer);
    clearInterval(this.refresher);
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.allSettled(
      all.map(async (i) => {
        await this.routing.release({ group: i.group, instance: i.name });
        await i.close();
      }),
    );
  }

  has(ref: InstanceRef): boolean {
    return this.instances.has(key(ref.group, ref.instance));
  }

  list(): InstanceRef[] {
    return [...this.instances.values()].map((i) => ({ group: i.group, instance: i.name }));
  }

  /**
   * `principal`: the creator. Under principal propagation the instance's Kafka work runs as the
   * creator for its whole life (a creator without a usable credential is refused with 401 or
   * runs as the gateway, per KAFKA_PROPAGATION_FALLBACK).
   * Creates an instance owned by `owner`. A name already taken in the group answers 409/40902
   * whoever holds it (the caller has `consume` on the group, checked before): it reveals that
   * the name is taken, never whose it is or anything about it.
   */
  async create(
    group: string,
    request: CreateConsumerRequest,
    owner: Principal = ANONYMOUS,
  ): Promise<ConsumerInstance> {
    const kafkaCaller = propagatedCaller(owner, this.config.kafka.propagation);
    const name = request.name ?? `rest-consumer-${randomUUID()}`;
    const k = key(group, name);
    if (this.instances.has(k)) throw Errors.instanceExists();
    if (this.instances.size >= this.config.consumers.maxInstances) {
      throw new GatewayError(
        'too_many_consumer_instances',
        `This gateway replica already holds ${this.config.consumers.maxInstances} consumer instances (CONSUMER_MAX_INSTANCES); delete unused instances`,
      );
    }
    this.checkPrincipalQuota(owner);
    if (isSchemaFormat(request.format) && !this.schemas.configured) {
      throw new CodecError(
        'schema_registry_not_configured',
        'Payload error. Schema Registry must be configured when using schemas.',
      );
    }
    const poisonPolicy = request.poisonPolicy ?? this.config.consumers.poisonPolicy;
    const dlq = await this.checkDeadLetterTopic(poisonPolicy, request, owner, kafkaCaller);
    const settings = {
      format: request.format,
      poisonPolicy,
      recordMetadata: request.recordMetadata,
      onPoison: (policy: PoisonPolicy) => this.metrics.poisonRecords.inc({ policy }),
      ...(dlq === undefined
        ? {}
        : {
            deadLetter: (r: FetchedRecord, reason: string) => {
              // a grant revoked since the creation stops the copies (the record stays: 403)
              if (!this.authz.allows(owner, 'produce', topicResource(dlq))) {
                this.authz.deny(
                  { principal: owner },
                  'produce',
                  topicResource(dlq),
                  'no matching grant',
                );
                return Promise.reject(Errors.forbidden('produce', `topic ${dlq}`));
              }
              return this.deadLetters
                .send(
                  dlq,
                  { key: r.key, value: r.value, headers: deadLetterHeaders(r, reason) },
                  kafkaCaller,
                )
                .catch((err: unknown) => {
                  this.metrics.deadLetterFailures.inc();
                  throw err;
                });
            },
          }),
      decoder: this.decoders[request.format],
      autoCommit: request.autoCommit,
      fetchMinBytes: request.fetchMinBytes,
      requestTimeoutMs: request.requestTimeoutMs ?? this.config.consumers.requestTimeoutMs,
      maxBufferBytes: this.config.consumers.maxBufferBytes,
      kafkaCaller,
      // a subscription (pattern or names) only ever covers topics the owner may consume
      listTopics: async () => this.consumable(owner, await this.admin.topicNames(kafkaCaller)),
      onRebalance: () => this.metrics.rebalances.inc(),
      onDelivered: (topic: string, records: number, bytes: number) => {
        const labels = { format: request.format, topic: this.metrics.metrics.topicLabel(topic) };
        this.metrics.recordsFetched.inc(labels, records);
        this.metrics.bytesFetched.inc(labels, bytes);
      },
    };
    const consumerSettings = {
      group,
      instance: name,
      fromBeginning: request.autoOffsetReset === 'earliest',
      sessionTimeoutMs: this.config.consumers.sessionTimeoutMs,
    };
    const instance = new ConsumerInstance(
      group,
      name,
      settings,
      (events) => this.consumers.create(consumerSettings, events, kafkaCaller),
      { name: owner.name, groups: owner.groups, mechanism: owner.mechanism }, // no credential kept
    );
    // Ownership first: a name another replica holds is refused before anything is created here.
    await this.routing.claim({ group, instance: name });
    if (this.instances.has(k)) throw Errors.instanceExists();
    // the quota again: another request of the same principal may have got here meanwhile
    this.checkPrincipalQuotaAfterClaim(group, name, owner);
    this.instances.set(k, instance);
    this.logger.info(
      { group, instance: name, format: request.format },
      'consumer instance created',
    );
    return instance;
  }

  /**
   * Policy `dead-letter` needs a DLQ topic (the request's, else CONSUMER_POISON_DEAD_LETTER_TOPIC)
   * that exists and that the owner may produce to (403/40301 otherwise): checked at creation so
   * a misconfigured instance is refused before it ever meets a poison record.
   */
  private async checkDeadLetterTopic(
    policy: PoisonPolicy,
    request: CreateConsumerRequest,
    owner: Principal,
    kafkaCaller: ReturnType<typeof propagatedCaller>,
  ): Promise<string | undefined> {
    if (policy !== 'dead-letter') return undefined;
    const dlq = request.deadLetterTopic ?? this.config.consumers.deadLetterTopic;
    if (dlq === undefined) {
      throw new GatewayError(
        'invalid_consumer_config',
        'Invalid consumer configuration: poison.policy=dead-letter needs poison.dead_letter_topic',
      );
    }
    this.authz.require({ principal: owner }, 'produce', topicResource(dlq));
    if (!(await this.admin.topicNames(kafkaCaller)).includes(dlq)) {
      throw new GatewayError(
        'invalid_consumer_config',
        `Invalid consumer configuration: poison.dead_letter_topic ${dlq} does not exist`,
      );
    }
    return dlq;
  }

  /** The instance if it lives here, not touched (ownership is checked before it is used). */
  find(group: string, name: string): ConsumerInstance | undefined {
    return this.instances.get(key(group, name));
  }

  /** The instance, touched; 404/40403 when it does not live here. */
  get(group: string, name: string): ConsumerInstance {
    const instance = this.instances.get(key(group, name));
    if (instance === undefined) throw Errors.instanceNotFound();
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

  /** One topic listing per interval, shared by every instance whose subscription follows topics. */
  private async refreshTopics(): Promise<void> {
    if (this.refreshing) return;
    const following = [...this.instances.values()].filter((i) => i.followsTopics());
    if (following.length === 0) return;
    this.refreshing = true;
    try {
      // the gateway's listing once; an instance running as a caller gets the caller's own
      // listing (Kafka lists only the topics that caller may describe)
      let shared: Promise<string[]> | undefined;
      for (const instance of following) {
        const caller = instance.settings.kafkaCaller;
        const topics = await (caller === undefined
          ? (shared ??= this.admin.topicNames())
          : this.admin.topicNames(caller));
        await instance
          .refreshTopics(this.consumable(instance.owner, topics))
          .catch((err: unknown) =>
            this.logger.warn(
              { err, group: instance.group, instance: instance.name },
              'restarting a subscription on new topics failed; retried at the next refresh',
            ),
          );
      }
    } catch (err) {
      this.logger.warn({ err }, 'listing topics for subscriptions failed');
    } finally {
      this.refreshing = false;
    }
  }

  /** The topics `owner` may consume (all of them without a policy). */
  private consumable(owner: Principal, topics: readonly string[]): string[] {
    return this.authz.filter(owner, 'consume', 'topic', topics, (t) => t);
  }

  /**
   * QUOTA_CONSUMER_INSTANCES_PER_PRINCIPAL: 429/429 (Confluent's rate-limit answer) with
   * Retry-After of one idle timeout, the longest until an abandoned instance of the principal
   * expires and frees its place.
   */
  private checkPrincipalQuota(owner: Principal): void {
    const limit = this.config.consumers.maxInstancesPerPrincipal;
    if (limit === undefined) return;
    let held = 0;
    for (const i of this.instances.values()) if (i.owner.name === owner.name) held += 1;
    if (held < limit) return;
    throw new GatewayError(
      'too_many_consumer_instances',
      `Principal ${owner.name} already holds ${limit} consumer instances on this replica (QUOTA_CONSUMER_INSTANCES_PER_PRINCIPAL); delete unused instances`,
      {
        retriable: true,
        retryAfterSeconds: Math.ceil(this.config.consumers.instanceTimeoutMs / 1000),
      },
    );
  }

  /** The quota after an awaited claim: a refusal gives the claim back before answering. */
  private checkPrincipalQuotaAfterClaim(group: string, name: string, owner: Principal): void {
    try {
      this.checkPrincipalQuota(owner);
    } catch (err) {
      void this.routing.release({ group, instance: name });
      throw err;
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
}
