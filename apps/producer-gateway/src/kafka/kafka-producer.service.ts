import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  type CallerClient,
  type CallerClientCache,
  ClientRenewal,
  GatewayError,
  isAuthenticationFailure,
  isAuthorizationFailure,
  isUnknownTopic,
  type KafkaCaller,
  KafkaClientFactory,
  keepConnecting,
  LOGGER,
  MetricsService,
  type Principal,
  propagatedCaller,
  ReadinessService,
  toCallerError,
} from '@kafka-gateway/server-kit';
import type { Producer, RecordMetadata } from 'kafkajs';
import type { Logger } from 'pino';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';
import { FencedSender } from './fenced-sender';
import { createPartitioner } from './partitioner';
import {
  type OutgoingRecord,
  PendingBudget,
  ProduceBatcher,
  type RecordOutcome,
  type Submission,
  type TopicMessages,
} from './produce-batcher';
import { type PartitionInfo, TopicMetadataService } from './topic-metadata.service';

export type { OutgoingRecord, RecordOutcome } from './produce-batcher';

/** Buckets of records per coalesced Kafka produce. */
const BATCH_RECORD_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** Who a produce runs as: the gateway (undefined) or a caller (principal propagation). */
export type ProduceCaller = KafkaCaller;

/**
 * Kafka errors after which an idempotent producer's state cannot be trusted for later sends: its
 * login failed, or its producer id, epoch or sequence numbers went wrong.
 */
const FATAL_FOR_PRODUCER = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
  'DUPLICATE_SEQUENCE_NUMBER',
]);

/** One caller's idempotent producer and its own micro-batcher (records of one principal only). */
class CallerProducer implements CallerClient {
  constructor(
    readonly producer: Producer,
    readonly batcher: ProduceBatcher,
  ) {}
  connect(): Promise<void> {
    return this.producer.connect();
  }
  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

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
  /** Accepted, unacknowledged bytes of every batcher (shared and per caller): one 429 bound. */
  private readonly budget = new PendingBudget();
  /** Per-caller producers (principal propagation on); undefined while it is off. */
  private readonly callers: CallerClientCache<CallerProducer> | undefined;
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
      (g) => g.set(this.budget.bytes),
    );
    const batcherOptions = {
      lingerMs: p.lingerMs,
      maxBatchRecords: p.maxBatchRecords,
      maxBatchBytes: p.maxBatchBytes,
      maxQueuedBytes: p.maxPendingBytes,
      budget: this.budget,
    };
    const observe = (records: number): void => batchRecords.observe(records);
    if (config.kafka.propagation.enabled) {
      this.callers = factory.callerClients('producer', (credential) => {
        const producer = factory.producer(credential);
        const send = (topicMessages: TopicMessages[]) =>
          producer.sendBatch({ topicMessages, acks: -1 });
        return new CallerProducer(producer, new ProduceBatcher(send, batcherOptions, observe));
      });
    }
    this.batcher = new ProduceBatcher(
      (topicMessages) => {
        for (const t of topicMessages) this.producedTopics.add(t.topic);
        return this.sender.send({ topicMessages, acks: -1 }).catch((err: unknown) => {
          if (isUnknownTopic(err)) void this.renewal.renew();
          throw err;
        });
      },
      batcherOptions,
      observe,
    );
  }

  private create(): Producer {
    const producer = this.factory.producer();
    // Connected means connect() resolved, not kafkajs' CONNECT event: kafkajs emits that before
    // the idempotent producer's InitProducerId, and a send in between goes out without a
    // producer id (not idempotent) and then fails in kafkajs ("reading 'release'") although
    // Kafka wrote it, so a client retry would duplicate it (seen in the rolling-restart fault).
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) this.connected = false;
    });
    return producer;
  }

  onModuleInit(): void {
    this.readiness.register('kafka', () => this.connected);
    void keepConnecting(
      () => (this.connected ? Promise.resolve() : this.connectCurrent()),
      this.logger,
      () => this.stopped,
    ).then((ok) => {
      if (ok) this.logger.info({ brokers: this.config.kafka.brokers }, 'connected to Kafka');
    });
  }

  /** Connects the current producer; connected once it has its producer id. */
  private async connectCurrent(): Promise<void> {
    const producer = this.producer;
    await producer.connect();
    if (this.producer === producer) this.connected = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.renewal.stop();
    await this.producer.disconnect().catch(() => undefined);
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** KAFKA_PRODUCE_TIMEOUT_MS: how long a produce request may wait for Kafka in all. */
  get produceTimeoutMs(): number {
    return this.config.produce.timeoutMs;
  }

  /** Java-compatible choice of partition (murmur2 of the key; round-robin without a key). */
  choosePartition(topic: string, partitions: readonly PartitionInfo[], key: Buffer | null): number {
    return this.partitioner(topic, partitions, key);
  }

  /**
   * Who a request's produce runs as: undefined (the gateway's shared producer) while principal
   * propagation is off, else the caller; a caller without a usable credential is refused
   * (401/40101) or runs as the gateway, per KAFKA_PROPAGATION_FALLBACK.
   */
  callerOf(principal: Principal): ProduceCaller | undefined {
    if (this.callers === undefined) return undefined;
    return propagatedCaller(principal, this.config.kafka.propagation);
  }

  /**
   * Queues records (explicit partitions) for the micro-batching producer — the shared one, or
   * the caller's own under principal propagation — and answers each record's outcome once Kafka
   * acknowledged it with acks=all. Past the produce timeout the request's unsent records are
   * withdrawn and every record without an outcome is reported as timed out (its real outcome is
   * unknown). Throws `overloaded` (429) when too much is pending.
   */
  async produce(
    topic: string,
    records: readonly OutgoingRecord[],
    caller?: ProduceCaller,
    /** What is left of the request's produce timeout (the whole timeout by default). */
    timeoutMs = this.config.produce.timeoutMs,
  ): Promise<RecordOutcome[]> {
    if (caller === undefined || this.callers === undefined) {
      return this.outcomes(topic, this.batcher.submit(topic, records), timeoutMs);
    }
    const callers = this.callers;
    // a new caller's producer connects first (login, InitProducerId); that counts against the
    // produce timeout too, and records are never queued once it has passed
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const connectTimeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late = true;
        reject(
          new GatewayError(
            'kafka_timeout',
            `Kafka did not accept the caller's connection within ${timeoutMs} ms`,
            { retriable: true },
          ),
        );
      }, timeoutMs);
    });
    try {
      const run = callers.use(caller.principal, caller.credential, async (client) => {
        clearTimeout(timer);
        if (late) return [];
        const outcomes = await this.outcomes(
          topic,
          client.batcher.submit(topic, records),
          timeoutMs,
        );
        // A caller's refused login or ACL denial, or a broken idempotence state, must never
        // leave a producer behind that later requests reuse (Confluent disabled idempotence for
        // per-principal producers over this, kafka-rest#980): the next request gets a fresh one.
        if (outcomes.some((o) => 'error' in o && breaksProducer(o.error))) callers.discard(client);
        return outcomes.map((o) =>
          'error' in o && isAuthenticationFailure(o.error) ? { error: toCallerError(o.error) } : o,
        );
      });
      return await Promise.race([run, connectTimeout]);
    } catch (err) {
      // the caller's producer could not connect (login refused, InitProducerId denied)
      throw toCallerError(err, caller.credential.kind === 'bearer' && this.connected);
    } finally {
      clearTimeout(timer);
    }
  }

  private async outcomes(
    topic: string,
    submission: Submission,
    timeoutMs: number,
  ): Promise<RecordOutcome[]> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const outcomes = await Promise.race([submission.outcomes, timedOut]);
      if (outcomes !== undefined) return outcomes;
      submission.cancel(
        new GatewayError(
          'kafka_timeout',
          `Produce to ${topic} not acknowledged within ${this.config.produce.timeoutMs} ms; the outcome is unknown`,
          { retriable: true },
        ),
      );
      return await submission.outcomes;
    } finally {
      clearTimeout(timer);
    }
  }
}

function breaksProducer(err: unknown): boolean {
  if (isAuthenticationFailure(err) || isAuthorizationFailure(err)) return true;
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && FATAL_FOR_PRODUCER.has(type);
}
