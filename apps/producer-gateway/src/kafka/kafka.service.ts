import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  createKafka,
  GatewayError,
  ClientRenewal,
  isUnknownTopic,
  keepConnecting,
  LOGGER,
  MetricsService,
  ReadinessService,
  toGatewayError,
} from '@kafka-gateway/server-kit';
import {
  type Admin,
  type ConfigResourceTypes,
  type Kafka,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import { createPartitioner } from './partitioner';
import { type OutgoingRecord, ProduceBatcher, type RecordOutcome } from './produce-batcher';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';

/** Topics Kafka itself marks internal; Confluent's listing leaves them out. */
const INTERNAL_TOPICS = new Set([
  '__consumer_offsets',
  '__transaction_state',
  '__share_group_state',
]);
export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

const TOPIC_RESOURCE = 2 as ConfigResourceTypes; // ConfigResourceTypes.TOPIC (a const enum)

export type { OutgoingRecord, RecordOutcome } from './produce-batcher';

export interface TopicPartitions {
  readonly name: string;
  readonly partitions: readonly PartitionMetadata[];
}

/**
 * The kafkajs adapter of the producer gateway: one client, one admin and one idempotent producer
 * per process. Connects in the background so the process is live at once and ready (see
 * /readyz) once Kafka answers; nothing outside this folder imports kafkajs.
 */
@Injectable()
export class KafkaService implements OnModuleInit, OnApplicationShutdown {
  private readonly kafka: Kafka;
  private admin: Admin;
  private producer: Producer;
  /** Topics the current producer has sent to (kafkajs refreshes metadata for all of them). */
  private producedTopics = new Set<string>();
  private readonly producerRenewal: ClientRenewal<Producer>;
  private readonly adminRenewal: ClientRenewal<Admin>;
  private readonly partitioner = createPartitioner();
  private readonly batcher: ProduceBatcher;
  private adminConnected = false;
  private producerConnected = false;
  private stopped = false;
  private snapshot: { at: number; topics: Map<string, readonly PartitionMetadata[]> } | undefined;
  private refreshing:
    { startedAt: number; promise: Promise<Map<string, readonly PartitionMetadata[]>> } | undefined;

  constructor(
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly readiness: ReadinessService,
    metrics: MetricsService,
  ) {
    this.kafka = createKafka(config, logger);
    this.admin = this.newAdmin();
    this.producer = this.newProducer();
    // kafkajs keeps every topic a client used in all its later metadata requests; once one is
    // deleted, every request of that client fails (kafkajs#1146, #1622): renew the client.
    this.producerRenewal = new ClientRenewal(
      'producer',
      () => this.newProducer(),
      (fresh) => {
        const old = this.producer;
        this.producer = fresh;
        this.producedTopics = new Set();
        this.producerConnected = true;
        return old;
      },
      logger,
    );
    this.adminRenewal = new ClientRenewal(
      'admin',
      () => this.newAdmin(),
      (fresh) => {
        const old = this.admin;
        this.admin = fresh;
        this.adminConnected = true;
        return old;
      },
      logger,
    );
    const p = config.produce;
    const batchRecords = metrics.histogram(
      'kafka_gateway_produce_batch_records',
      'Records per coalesced Kafka produce (across HTTP requests)',
      [],
      [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    );
    metrics.gauge(
      'kafka_gateway_produce_pending_bytes',
      'Bytes accepted and not yet acknowledged by Kafka',
      [],
      (g) => g.set(this.batcher.pendingBytes()),
    );
    this.batcher = new ProduceBatcher(
      (topicMessages) => {
        for (const t of topicMessages) this.producedTopics.add(t.topic);
        return this.producer.sendBatch({ topicMessages, acks: -1 }).catch((err: unknown) => {
          if (isUnknownTopic(err)) void this.producerRenewal.renew();
          throw err;
        });
      },
      {
        lingerMs: p.lingerMs,
        maxBatchRecords: p.maxBatchRecords,
        maxBatchBytes: p.maxBatchBytes,
        maxQueuedBytes: p.maxPendingBytes,
      },
      (records) => batchRecords.observe(records),
    );
  }

  private newAdmin(): Admin {
    const admin = this.kafka.admin();
    admin.on(admin.events.CONNECT, () => {
      if (this.admin === admin) this.adminConnected = true;
    });
    admin.on(admin.events.DISCONNECT, () => {
      if (this.admin === admin) this.adminConnected = false;
    });
    return admin;
  }

  private newProducer(): Producer {
    // acks=all on every send; idempotent so the client's own retries never duplicate a record.
    // One request in flight keeps kafkajs' idempotent sequence numbers safe.
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    producer.on(producer.events.CONNECT, () => {
      if (this.producer === producer) this.producerConnected = true;
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) this.producerConnected = false;
    });
    return producer;
  }

  /** Runs an admin call, renewing an admin client stuck on a deleted topic (retried once). */
  adminCall<T>(fn: () => Promise<T>): Promise<T> {
    return this.adminRenewal.call(fn);
  }

  /** A topic was deleted through this gateway: clients that used it are replaced at once. */
  topicDeleted(topic: string): void {
    this.invalidateMetadata();
    if (this.producedTopics.has(topic)) void this.producerRenewal.renew();
  }

  onModuleInit(): void {
    this.readiness.register('kafka', () => this.adminConnected && this.producerConnected);
    void this.connectUntilReady();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.producerRenewal.stop();
    this.adminRenewal.stop();
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  private async connectUntilReady(): Promise<void> {
    const connect = async (): Promise<void> => {
      if (!this.adminConnected) await this.admin.connect();
      if (!this.producerConnected) await this.producer.connect();
    };
    if (await keepConnecting(connect, this.logger, () => this.stopped)) {
      this.logger.info({ brokers: this.config.kafka.brokers }, 'connected to Kafka');
    }
  }

  /**
   * Cluster metadata for every topic (one Metadata request) fetched after `notBefore`: callers
   * that arrive while a fetch is in flight share it when it started late enough, so a burst of
   * requests costs one round trip, yet a topic created a moment ago is never missed.
   */
  private async refreshTopics(
    notBefore = Date.now(),
  ): Promise<Map<string, readonly PartitionMetadata[]>> {
    const inFlight = this.refreshing;
    if (inFlight !== undefined) {
      if (inFlight.startedAt >= notBefore) return inFlight.promise;
      await inFlight.promise.catch(() => undefined);
      return this.refreshTopics(notBefore);
    }
    const startedAt = Date.now();
    const promise = (async () => {
      try {
        const { topics } = await this.adminCall(() =>
          this.admin.fetchTopicMetadata({ topics: [] }),
        );
        const map = new Map<string, readonly PartitionMetadata[]>();
        for (const t of topics)
          map.set(
            t.name,
            [...t.partitions].sort((a, b) => a.partitionId - b.partitionId),
          );
        this.snapshot = { at: startedAt, topics: map };
        for (const t of this.producedTopics) {
          if (!map.has(t)) {
            void this.producerRenewal.renew(); // a topic this producer used was deleted
            break;
          }
        }
        return map;
      } catch (err) {
        throw toGatewayError(err);
      } finally {
        this.refreshing = undefined;
      }
    })();
    this.refreshing = { startedAt, promise };
    return promise;
  }

  async listTopics(): Promise<string[]> {
    const topics = await this.refreshTopics();
    return [...topics.keys()].filter((t) => !INTERNAL_TOPICS.has(t)).sort();
  }

  /** Current metadata of one topic, or undefined when the cluster does not have it. */
  async describeTopic(topic: string): Promise<TopicPartitions | undefined> {
    const partitions = (await this.refreshTopics()).get(topic);
    return partitions === undefined ? undefined : { name: topic, partitions };
  }

  /** Current metadata of one topic; 404/40403 when the cluster does not have it (Confluent's
   * UnknownTopicOrPartition mapping). */
  async requireTopic(topic: string): Promise<TopicPartitions> {
    const meta = await this.describeTopic(topic);
    if (meta === undefined) {
      throw new GatewayError(
        'unknown_topic_or_partition',
        'This server does not host this topic-partition.',
      );
    }
    return meta;
  }

  /**
   * Partitions of a topic from a snapshot at most `metadataMaxAgeMs` old; a miss refreshes it so
   * a topic created a moment ago is found.
   */
  async cachedPartitions(topic: string): Promise<readonly PartitionMetadata[] | undefined> {
    const snap = this.snapshot;
    if (snap !== undefined && Date.now() - snap.at < this.config.kafka.metadataMaxAgeMs) {
      const hit = snap.topics.get(topic);
      if (hit !== undefined) return hit;
    }
    return (await this.refreshTopics()).get(topic);
  }

  /** Forgets cached metadata, e.g. after the broker said a partition is unknown. */
  invalidateMetadata(): void {
    this.snapshot = undefined;
  }

  /** Every config of a topic, defaults included, as Confluent's `GET /topics/{t}` shows them. */
  async topicConfigs(topic: string): Promise<Record<string, string>> {
    try {
      const { resources } = await this.adminCall(() =>
        this.admin.describeConfigs({
          resources: [{ type: TOPIC_RESOURCE, name: topic }],
          includeSynonyms: false,
        }),
      );
      const configs: Record<string, string> = {};
      for (const entry of resources[0]?.configEntries ?? []) {
        if (!entry.isSensitive) configs[entry.configName] = entry.configValue;
      }
      return configs;
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /** Earliest and log-end offsets of every partition of a topic. */
  async partitionOffsets(
    topic: string,
  ): Promise<{ partition: number; low: string; high: string }[]> {
    try {
      const offsets = await this.adminCall(() => this.admin.fetchTopicOffsets(topic));
      return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /** Ids of the brokers in the cluster. */
  async brokerIds(): Promise<number[]> {
    try {
      const { brokers } = await this.adminCall(() => this.admin.describeCluster());
      return brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /** Java-compatible choice of partition (murmur2 of the key; round-robin without a key). */
  choosePartition(
    topic: string,
    partitions: readonly PartitionMetadata[],
    key: Buffer | null,
  ): number {
    return this.partitioner(topic, partitions, key);
  }

  /**
   * Queues records (explicit partitions) for the shared micro-batching producer and answers
   * each record's outcome once Kafka acknowledged it with acks=all. Past the produce timeout the
   * request's unsent records are withdrawn and every record without an outcome is reported as
   * timed out (its real outcome is unknown). Throws `overloaded` (429) when too much is pending.
   */
  async produce(topic: string, records: readonly OutgoingRecord[]): Promise<RecordOutcome[]> {
    const submission = this.batcher.submit(topic, records);
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.config.produce.timeoutMs;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const outcomes = await Promise.race([submission.outcomes, timedOut]);
      if (outcomes !== undefined) return outcomes;
      submission.cancel(
        new GatewayError(
          'kafka_timeout',
          `Produce to ${topic} not acknowledged within ${timeoutMs} ms; the outcome is unknown`,
          {
            retriable: true,
          },
        ),
      );
      return await submission.outcomes;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The shared admin client, for the other adapters of this folder (kafka-admin.service). */
  adminClient(): Admin {
    return this.admin;
  }

  /** Bytes accepted and not yet acknowledged by Kafka. */
  pendingBytes(): number {
    return this.batcher.pendingBytes();
  }

  isConnected(): boolean {
    return this.producerConnected;
  }
}
