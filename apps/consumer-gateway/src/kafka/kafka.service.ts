import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createKafka, keepConnecting, LOGGER, ReadinessService } from '@kafka-gateway/server-kit';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';

/**
 * The kafkajs adapter of the consumer gateway: one client per process; consumer instances (a
 * later module) create their kafkajs consumers from it. The admin connection decides readiness.
 */
@Injectable()
export class KafkaService implements OnModuleInit, OnApplicationShutdown {
  readonly kafka: Kafka;
  private readonly admin: Admin;
  private adminConnected = false;
  private stopped = false;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly readiness: ReadinessService,
  ) {
    this.kafka = createKafka(config, logger);
    this.admin = this.kafka.admin();
    this.admin.on(this.admin.events.CONNECT, () => (this.adminConnected = true));
    this.admin.on(this.admin.events.DISCONNECT, () => (this.adminConnected = false));
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

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.admin.disconnect();
  }
}
