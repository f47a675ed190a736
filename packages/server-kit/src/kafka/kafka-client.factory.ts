import { Inject, Injectable } from '@nestjs/common';
import {
  type Admin,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { CommonConfig } from '../config/common.config';
import { LOGGER } from '../logging/logger';
import { kafkajsLevel, pinoLogCreator } from './kafka-log';

/** Injection token of the `CommonConfig` the Kafka clients are built from. */
export const KAFKA_CLIENT_CONFIG = Symbol('KAFKA_CLIENT_CONFIG');

/**
 * The one place kafkajs clients are made, for both gateways: every producer, admin and consumer
 * comes from the same connection settings (brokers, timeouts, and the TLS/SASL settings that
 * belong here), so no client can be configured differently by accident.
 */
@Injectable()
export class KafkaClientFactory {
  private readonly kafka: Kafka;

  constructor(@Inject(KAFKA_CLIENT_CONFIG) config: CommonConfig, @Inject(LOGGER) logger: Logger) {
    const k = config.kafka;
    this.kafka = new Kafka({
      clientId: k.clientId,
      brokers: [...k.brokers],
      connectionTimeout: k.connectionTimeoutMs,
      requestTimeout: k.requestTimeoutMs,
      logLevel: kafkajsLevel(config.logLevel),
      logCreator: pinoLogCreator(logger),
    });
  }

  admin(): Admin {
    return this.kafka.admin();
  }

  producer(options: ProducerConfig): Producer {
    return this.kafka.producer(options);
  }

  consumer(options: ConsumerConfig): Consumer {
    return this.kafka.consumer(options);
  }
}

/** The longest wait between two connection attempts while Kafka is unreachable at start. */
const MAX_CONNECT_BACKOFF_MS = 5000;

/**
 * Calls `connect` until it succeeds or `stopped()` says to give up, backing off up to 5 s. The
 * gateways start without Kafka and report not-ready until this resolves.
 */
export async function keepConnecting(
  connect: () => Promise<void>,
  logger: Logger,
  stopped: () => boolean,
): Promise<boolean> {
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      await connect();
      return true;
    } catch (err) {
      logger.warn({ err, attempt }, 'Kafka not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, Math.min(MAX_CONNECT_BACKOFF_MS, 250 * attempt)));
    }
  }
  return false;
}
