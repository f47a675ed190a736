import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  ClientRenewal,
  GatewayError,
  isUnknownTopic,
  KafkaClientFactory,
  keepConnecting,
  LOGGER,
  MetricsService,
  ReadinessService,
} from '@kafka-gateway/server-kit';
import type { Producer, RecordMetadata } from 'kafkajs';
import type { Logger } from 'pino';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';
import { FencedSender } from './fenced-sender';
import { createPartitioner } from './partitioner';
import { type OutgoingRecord, ProduceBatcher, type RecordOutcome } from './produce-batcher';
import { type PartitionInfo, TopicMetadataService } from './topic-metadata.service';

export type { OutgoingRecord, RecordOutcome } from './produce-batcher';

/** Buckets of records per coalesced Kafka produce. */
const BATCH_RECORD_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/**
 * The process's one idempotent producer behind the micro-batcher: records of concurrent HTTP
 * requests are coalesced into one `sendBatch` with acks=all. Connected in the background (part of
 * readiness `kafka`), replaced when a topic it used was deleted, closed on shutdown.
 */
@Injectable()
export class KafkaProducerService implements OnModuleInit, OnApplicationShutdown {
  private producer: Producer;
  /** Topics the current producer has sent to (kafkajs refreshes metadata for all of them). */
  private producedTopics = new Set<string>();
  private readonly renewal: ClientRenewal<Producer>;
  private readonly sender: FencedSender<
    Parameters<Producer['sendBatch']>[0],
    RecordMetadata[],
    Producer
  >;
  private readonly partitioner = createPartitioner();
  private readonly batcher: ProduceBatcher;
  private connected = false;
  private stopped = false;

  constructor(
    private readonly factory: KafkaClientFactory,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly readiness: ReadinessService,
    metadata: TopicMetadataService,
    metrics: MetricsService,
  ) {
    this.producer = this.create();
    // kafkajs keeps every topic a client used in all its later metadata requests; once one is
    // deleted, every request of that client fails (kafkajs#1146, #1622): renew the client.
    this.renewal = new ClientRenewal(
      'producer',
      () => this.create(),
      (fresh) => {
        const old = this.producer;
        this.producer = fresh;
        this.sender.adopt(fresh);
        this.producedTopics = new Set();
        this.connected = true;
        return old;
      },
      logger,
    );
    // a failed send retires the producer before the next batch (see FencedSender: kafkajs'
    // sequence numbers after a failover would otherwise acknowledge records never written)
    this.sender = new FencedSender(
      this.producer,
      () => this.create(),
      (fresh) => {
        this.producer = fresh;
        this.producedTopics = new Set();
        this.connected = true;
      },
      logger,
    );
    metadata.onRefresh((topics) => {
      for (const t of this.producedTopics) {
        if (!topics.has(t)) {
          void this.renewal.renew(); // a topic this producer used was deleted
          return;
        }
      }
    });
    metadata.onTopicDeleted((topic) => {
      if (this.producedTopics.has(topic)) void this.renewal.renew();
    });
    const p = config.produce;
    const batchRecords = metrics.histogram(
      'kafka_gateway_produce_batch_records',
      'Records per coalesced Kafka produce (across HTTP requests)',
      [],
      BATCH_RECORD_BUCKETS,
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
        return this.sender.send({ topicMessages, acks: -1 }).catch((err: unknown) => {
          if (isUnknownTopic(err)) void this.renewal.renew();
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

  private create(): Producer {
    // acks=all on every send; idempotent so the client's own retries never duplicate a record.
    // One request in flight keeps kafkajs' idempotent sequence numbers safe.
    const producer = this.factory.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    producer.on(producer.events.CONNECT, () => {
      if (this.producer === producer) this.connected = true;
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) this.connected = false;
    });
    return producer;
  }

  onModuleInit(): void {
    this.readiness.register('kafka', () => this.connected);
    void keepConnecting(
      () => (this.connected ? Promise.resolve() : this.producer.connect()),
      this.logger,
      () => this.stopped,
    ).then((ok) => {
      if (ok) this.logger.info({ brokers: this.config.kafka.brokers }, 'connected to Kafka');
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.renewal.stop();
    await this.producer.disconnect().catch(() => undefined);
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Java-compatible choice of partition (murmur2 of the key; round-robin without a key). */
  choosePartition(topic: string, partitions: readonly PartitionInfo[], key: Buffer | null): number {
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
          { retriable: true },
        ),
      );
      return await submission.outcomes;
    } finally {
      clearTimeout(timer);
    }
  }
}
