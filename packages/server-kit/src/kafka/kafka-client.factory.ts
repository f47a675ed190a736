import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import {
  type Admin,
  type AdminConfig,
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
import { MetricsService } from '../metrics/metrics.service';
import { KafkaClientMetrics } from './kafka-instrumentation';
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
export class KafkaClientFactory implements OnApplicationShutdown {
  private readonly kafka: Kafka;
  private readonly instrumentation: KafkaClientMetrics | undefined;
  /** Whether the process holds its Kafka connection (the managed admin's); see `consumer`. */
  private connected: () => boolean = () => true;

  constructor(
    @Inject(KAFKA_CLIENT_CONFIG) config: CommonConfig,
    @Inject(LOGGER) logger: Logger,
    @Optional() metrics?: MetricsService,
  ) {
    this.instrumentation = metrics === undefined ? undefined : new KafkaClientMetrics(metrics);
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

  admin(options?: AdminConfig): Admin {
    return this.instrumented(this.kafka.admin(options), 'admin');
  }

  producer(options: ProducerConfig): Producer {
    return this.instrumented(this.kafka.producer(options), 'producer');
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
    const consumer = this.instrumented(this.kafka.consumer(options), 'consumer');
    const connect = consumer.connect.bind(consumer);
    consumer.connect = () =>
      this.connected() ? connect() : Promise.reject(Errors.kafkaUnavailable());
    return consumer;
  }

  private instrumented<T>(client: T, kind: 'admin' | 'producer' | 'consumer'): T {
    return this.instrumentation?.instrument(client, kind) ?? client;
  }

  /**
   * Commits offsets for a group without being one of its members (generation -1, no member id),
   * as the Java consumer does after `assign()`. Kafka accepts such a commit while the group has
   * no active members (it is empty or does not exist yet) and refuses it otherwise. kafkajs has no
   * public call for it, so this reaches its cluster through the client's private factory (the
   * symbol `private:Kafka:createCluster`, kafkajs 2.x); one cluster connection is kept and
   * replaced after a failure.
   */
  async commitAsNonMember(groupId: string, offsets: readonly NonMemberOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<
      string,
      { partition: number; offset: string; metadata: string | null }[]
    >();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: o.offset, metadata: o.metadata ?? null });
      byTopic.set(o.topic, list);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const cluster = await this.sharedCluster();
    try {
      const coordinator = await cluster.findGroupCoordinator({ groupId });
      await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
    } catch (err) {
      if (this.cluster === cluster) this.cluster = undefined;
      await cluster.disconnect().catch(() => undefined);
      throw err;
    }
  }

  private cluster: InternalCluster | undefined;

  private async sharedCluster(): Promise<InternalCluster> {
    if (this.cluster !== undefined) return this.cluster;
    const create = Object.getOwnPropertySymbols(this.kafka).find(
      (s) => s.description === 'private:Kafka:createCluster',
    );
    const factory =
      create === undefined ? undefined : (this.kafka as unknown as Record<symbol, unknown>)[create];
    if (typeof factory !== 'function') {
      throw new Error('this kafkajs version does not expose its cluster factory');
    }
    const cluster = (factory as (o: object) => InternalCluster)({ allowAutoTopicCreation: false });
    await cluster.connect();
    this.cluster = cluster;
    return cluster;
  }

  /** Closes the connection `commitAsNonMember` keeps. */
  async onApplicationShutdown(): Promise<void> {
    const cluster = this.cluster;
    this.cluster = undefined;
    await cluster?.disconnect().catch(() => undefined);
  }
}

export interface NonMemberOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: string;
  readonly metadata?: string | null;
}

/** The part of kafkajs' internal Cluster and Broker that `commitAsNonMember` uses. */
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(q: { groupId: string }): Promise<{
    offsetCommit(r: {
      groupId: string;
      groupGenerationId: number;
      memberId: string;
      topics: {
        topic: string;
        partitions: { partition: number; offset: string; metadata: string | null }[];
      }[];
    }): Promise<unknown>;
  }>;
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
