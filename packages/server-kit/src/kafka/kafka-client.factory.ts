import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import {
  type Admin,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { CommonConfig, KafkaConfig } from '../config/common.config';
import { Errors } from '../errors/gateway-errors';
import { LOGGER } from '../logging/logger';
import { kafkajsLevel, pinoLogCreator } from './kafka-log';
import { OAuthTokenProvider } from './oauth-token.provider';

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
  /** Whether the process holds its Kafka connection (the managed admin's); see `consumer`. */
  private connected: () => boolean = () => true;

  constructor(@Inject(KAFKA_CLIENT_CONFIG) config: CommonConfig, @Inject(LOGGER) logger: Logger) {
    const k = config.kafka;
    this.kafka = new Kafka({
      clientId: k.clientId,
      brokers: [...k.brokers],
      connectionTimeout: k.connectionTimeoutMs,
      requestTimeout: k.requestTimeoutMs,
      ...(k.tls === undefined ? {} : { ssl: tlsOptions(k.tls) }),
      ...(k.sasl === undefined ? {} : { sasl: saslOptions(k.sasl) }),
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

  /** The managed admin registers its connection here: the process's Kafka readiness. */
  connectedWhen(check: () => boolean): void {
    this.connected = check;
  }

  /**
   * A consumer whose `connect` fails at once with a retriable 503 while the process is not
   * connected to Kafka (not ready): kafkajs would otherwise retry its own connection for ~10 s
   * per new consumer (a subscription request) while, say, the broker refuses the gateway's
   * certificate.
   */
  consumer(options: ConsumerConfig): Consumer {
    const consumer = this.kafka.consumer(options);
    const connect = consumer.connect.bind(consumer);
    consumer.connect = () =>
      this.connected() ? connect() : Promise.reject(Errors.kafkaUnavailable());
    return consumer;
  }
}

/**
 * kafkajs hands these options to `tls.connect` for every broker connection (copying them with
 * Object.assign), so the getters re-read the PEM files each time: a rotated certificate or a
 * fixed CA file is used by the next connection without a restart.
 */
export function tlsOptions(tls: NonNullable<KafkaConfig['tls']>): ConnectionOptions {
  const options: ConnectionOptions = {};
  const file = (name: 'ca' | 'cert' | 'key', path: string | undefined): void => {
    if (path === undefined) return;
    Object.defineProperty(options, name, { enumerable: true, get: () => readFileSync(path) });
  };
  file('ca', tls.caFile);
  file('cert', tls.certFile);
  file('key', tls.keyFile);
  if (tls.keyPassword !== undefined) {
    const secret = tls.keyPassword;
    Object.defineProperty(options, 'passphrase', { enumerable: true, get: () => secret.value() });
  }
  // hostname verification is Kafka's `ssl.endpoint.identification.algorithm=https` (default)
  if (!tls.verifyHostname) options.checkServerIdentity = () => undefined;
  return options;
}

/** SASL options; passwords are read when a connection authenticates (file secrets re-read). */
export function saslOptions(sasl: NonNullable<KafkaConfig['sasl']>): SASLOptions {
  if (sasl.mechanism === 'OAUTHBEARER') {
    const provider = new OAuthTokenProvider(sasl);
    return {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({ value: await provider.token() }),
    };
  }
  const mechanism = (
    { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' } as const
  )[sasl.mechanism];
  const options = { mechanism, username: sasl.username } as SASLOptions & { password: string };
  Object.defineProperty(options, 'password', {
    enumerable: true,
    get: () => sasl.password.value(),
  });
  return options;
}

/** The longest wait between two connection attempts while Kafka is unreachable at start. */
const MAX_CONNECT_BACKOFF_MS = 5000;

/**
 * The failure reason last logged at error level, per logger: the clients of one process (the
 * producer and the admin) fail for the same reason at the same moment, and one line says it.
 */
const reportedReasons = new WeakMap<Logger, string>();

/**
 * Calls `connect` until it succeeds or `stopped()` says to give up, backing off up to 5 s. The
 * gateways start without Kafka and report not-ready until this resolves. A failure is logged
 * once per distinct reason (a wrong password or an untrusted certificate is one clear line, not
 * a line every few seconds, and not once per client of the process); repeats go to debug.
 */
export async function keepConnecting(
  connect: () => Promise<void>,
  logger: Logger,
  stopped: () => boolean,
): Promise<boolean> {
  let lastReason: string | undefined;
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      await connect();
      if (lastReason !== undefined) {
        logger.info({ attempt }, 'Kafka connection established');
        if (reportedReasons.get(logger) === lastReason) reportedReasons.delete(logger);
      }
      return true;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const untold = reason !== lastReason && reportedReasons.get(logger) !== reason;
      lastReason = reason;
      if (untold) {
        logger.error({ reason, attempt }, 'cannot connect to Kafka; retrying until it works');
        reportedReasons.set(logger, reason);
      } else {
        logger.debug({ reason, attempt }, 'Kafka still not reachable');
      }
      await new Promise((r) => setTimeout(r, Math.min(MAX_CONNECT_BACKOFF_MS, 250 * attempt)));
    }
  }
  return false;
}
