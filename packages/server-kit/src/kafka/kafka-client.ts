import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { CommonConfig } from '../config/common.config';
import { kafkajsLevel, pinoLogCreator } from './kafka-log';

/** The process's one kafkajs client, configured from the common settings. */
export function createKafka(config: CommonConfig, logger: Logger): Kafka {
  const k = config.kafka;
  return new Kafka({
    clientId: k.clientId,
    brokers: [...k.brokers],
    connectionTimeout: k.connectionTimeoutMs,
    requestTimeout: k.requestTimeoutMs,
    logLevel: kafkajsLevel(config.logLevel),
    logCreator: pinoLogCreator(logger),
  });
}

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
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
    }
  }
  return false;
}
