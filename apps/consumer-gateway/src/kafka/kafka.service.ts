import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  ClientRenewal,
  createKafka,
  keepConnecting,
  LOGGER,
  ReadinessService,
  toGatewayError,
} from '@kafka-gateway/server-kit';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';
import {
  type ConsumerEvents,
  type ConsumerSettings,
  KafkaConsumerAdapter,
} from './kafka-consumer.adapter';

/**
 * The kafkajs adapter of the consumer gateway: one client per process; consumer instances (a
 * later module) create their kafkajs consumers from it. The admin connection decides readiness.
 */
@Injectable()
export class KafkaService implements OnModuleInit, OnApplicationShutdown {
  readonly kafka: Kafka;
  private admin: Admin;
  private adminConnected = false;
  private readonly adminRenewal: ClientRenewal<Admin>;
  private stopped = false;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly readiness: ReadinessService,
  ) {
    this.kafka = createKafka(config, logger);
    this.admin = this.newAdmin();
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

  onModuleInit(): void {
    this.readiness.register('kafka', () => this.adminConnected);
    void keepConnecting(
      () => this.admin.connect(),
      this.logger,
      () => this.stopped,
    ).then((ok) => {
      if (ok) this.logger.info({ brokers: this.config.kafka.brokers }, 'connected to Kafka');
    });
  }

  /** A kafkajs consumer behind the instance-facing adapter. */
  createConsumer(settings: ConsumerSettings, events: ConsumerEvents): KafkaConsumerAdapter {
    return new KafkaConsumerAdapter(
      this.kafka,
      settings,
      events,
      this.logger.child({ group: settings.group }),
    );
  }

  /** Earliest and log-end offsets of each partition of a topic. */
  async topicOffsets(topic: string): Promise<{ partition: number; low: string; high: string }[]> {
    return this.call(async () =>
      (await this.admin.fetchTopicOffsets(topic)).map((o) => ({
        partition: o.partition,
        low: o.low,
        high: o.high,
      })),
    );
  }

  /** For each partition, the earliest offset whose timestamp is at or after `timestampMs` (or the end). */
  async offsetsForTimestamp(
    topic: string,
    timestampMs: number,
  ): Promise<{ partition: number; offset: string }[]> {
    return this.call(() => this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs));
  }

  /** Committed offsets of a group for some topics; partitions without a commit are left out. */
  async committedOffsets(
    group: string,
    topics: readonly string[],
  ): Promise<{ topic: string; partition: number; offset: string; metadata: string | null }[]> {
    return this.call(async () => {
      const result = await this.admin.fetchOffsets({
        groupId: group,
        topics: [...new Set(topics)],
      });
      return result.flatMap((t) =>
        t.partitions
          .filter((p) => p.offset !== '-1')
          .map((p) => ({
            topic: t.topic,
            partition: p.partition,
            offset: p.offset,
            metadata: p.metadata,
          })),
      );
    });
  }

  async listTopics(): Promise<string[]> {
    return this.call(() => this.admin.listTopics());
  }

  /** Runs a read-only admin call, renewing an admin client stuck on a deleted topic. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.adminRenewal.call(fn);
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.adminRenewal.stop();
    await this.admin.disconnect();
  }
}
