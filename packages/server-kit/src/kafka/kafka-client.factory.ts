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
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { CallerCredential } from '../auth/principal';
import type { CommonConfig, KafkaConfig } from '../config/common.config';
import type { PropagationConfig } from '../config/propagation.config';
import { Errors } from '../errors/gateway-errors';
import { LOGGER } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import { type CallerClient, CallerClientCache, type KafkaCaller } from './caller-clients';
import { isAuthorizationFailure } from './kafka-errors';
import { type KafkaClientKind, KafkaClientMetrics } from './kafka-instrumentation';
import { kafkajsLevel, pinoLogCreator } from './kafka-log';
import { kafkajsSendMessagesInstalled } from './kafkajs-send-messages';
import { OAuthTokenProvider } from './oauth-token.provider';

/** See `KafkaClientFactory.producer`. */
const PRODUCER_OPTIONS = {
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
} as const;

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
  /** Everything but SASL, shared by the gateway's client and the callers' (TLS stays ours). */
  private readonly base: KafkaOptions;
  /** Principal propagation: the per-caller caches and counts (`kafka_gateway_principal_*`). */
  readonly propagation: PropagationConfig;
  private readonly callerCounts = new Map<KafkaClientKind, () => number>();
  private readonly caches: CallerClientCache<CallerClient>[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  private readonly evictions: ((kind: KafkaClientKind, reason: string) => void) | undefined;

  constructor(
    @Inject(KAFKA_CLIENT_CONFIG) config: CommonConfig,
    @Inject(LOGGER) logger: Logger,
    @Optional() metrics?: MetricsService,
  ) {
    this.instrumentation = metrics === undefined ? undefined : new KafkaClientMetrics(metrics);
    if (!kafkajsSendMessagesInstalled) {
      logger.warn(
        'kafkajs was loaded before @kafka-gateway/server-kit: its own producer sendMessages is in use, which can write a record twice when a broker fails (see server-kit kafka/kafkajs-send-messages.ts)',
      );
    }
    const k = config.kafka;
    this.propagation = k.propagation;
    this.base = {
      clientId: k.clientId,
      brokers: [...k.brokers],
      connectionTimeout: k.connectionTimeoutMs,
      requestTimeout: k.requestTimeoutMs,
      ...(k.tls === undefined ? {} : { ssl: tlsOptions(k.tls) }),
      logLevel: kafkajsLevel(config.logLevel),
      logCreator: pinoLogCreator(logger),
    };
    this.kafka = new Kafka({
      ...this.base,
      ...(k.sasl === undefined ? {} : { sasl: saslOptions(k.sasl) }),
    });
    if (this.propagation.enabled && metrics !== undefined) {
      metrics.gauge(
        'kafka_gateway_principal_clients',
        'Kafka clients that authenticate as a caller (principal propagation), by client kind',
        ['kind'],
        (g) => {
          for (const [kind, count] of this.callerCounts) g.set({ kind }, count());
        },
      );
      const counter = metrics.counter(
        'kafka_gateway_principal_client_evictions_total',
        'Per-caller Kafka clients evicted from the cache, by client kind and reason',
        ['kind', 'reason'],
      );
      this.evictions = (kind, reason) => counter.inc({ kind, reason });
    }
  }

  /**
   * An admin client; with `as`, one that authenticates as that caller (principal propagation).
   */
  admin(options?: AdminConfig, as?: CallerCredential): Admin {
    return this.instrumented(this.kafkaFor(as).admin(options), 'admin');
  }

  /**
   * The gateway's one kind of producer (every send is acks=all): idempotent, so kafkajs' own
   * retries never write a record twice, with one request in flight, which keeps its sequence
   * numbers safe, and never creating a topic. With `as`, one that authenticates as that caller
   * (principal propagation).
   */
  producer(as?: CallerCredential): Producer {
    return this.instrumented(this.kafkaFor(as).producer(PRODUCER_OPTIONS), 'producer');
  }

  /**
   * A bounded cache of clients that authenticate as callers (see CallerClientCache), sized by
   * KAFKA_PROPAGATION_MAX_CLIENTS and KAFKA_PROPAGATION_IDLE_MS, swept every second and counted
   * in `kafka_gateway_principal_clients{kind}`. Closed with the factory.
   */
  callerClients<C extends CallerClient>(
    kind: KafkaClientKind,
    create: (credential: CallerCredential) => C,
  ): CallerClientCache<C> {
    const cache = new CallerClientCache(create, {
      maxClients: this.propagation.maxClients,
      idleMs: this.propagation.idleMs,
      onEvict: (reason) => this.evictions?.(kind, reason),
    });
    this.caches.push(cache);
    this.countCallerClients(kind, () => cache.size());
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => {
        for (const c of this.caches) c.sweep();
      }, CALLER_SWEEP_INTERVAL_MS);
      this.sweeper.unref();
    }
    return cache;
  }

  /** Reports clients of `kind` that run as callers outside a cache (consumer instances). */
  countCallerClients(kind: KafkaClientKind, count: () => number): void {
    const previous = this.callerCounts.get(kind);
    this.callerCounts.set(kind, previous === undefined ? count : () => previous() + count());
  }

  /** The gateway's own Kafka, or one whose SASL login is the caller's credential. */
  private kafkaFor(as: CallerCredential | undefined): Kafka {
    if (as === undefined) return this.kafka;
    return new Kafka({ ...this.base, sasl: callerSaslOptions(as, this.propagation) });
  }

  /** The managed admin registers its connection here: the process's Kafka readiness. */
  connectedWhen(check: () => boolean): void {
    this.connected = check;
  }

  /** Whether the process holds its own Kafka connection (the managed admin's). */
  isConnected(): boolean {
    return this.connected();
  }

  /**
   * A consumer whose `connect` fails at once with a retriable 503 while the process is not
   * connected to Kafka (not ready): kafkajs would otherwise retry its own connection for ~10 s
   * per new consumer (a subscription request) while, say, the broker refuses the gateway's
   * certificate.
   */
  consumer(options: ConsumerConfig, as?: CallerCredential): Consumer {
    const consumer = this.instrumented(this.kafkaFor(as).consumer(options), 'consumer');
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
   * replaced after a failure. With `as` (principal propagation) the commit is made as that
   * caller, over a connection of its own from a per-caller cache.
   */
  async commitAsNonMember(
    groupId: string,
    offsets: readonly NonMemberOffset[],
    as?: KafkaCaller,
  ): Promise<void> {
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
    if (as !== undefined) {
      const clusters = this.callerClusterCache();
      await clusters.use(as.principal, as.credential, async (cluster) => {
        try {
          const coordinator = await cluster.findGroupCoordinator({ groupId });
          await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
        } catch (err) {
          clusters.discard(cluster); // a fresh connection next time, as for the shared one
          throw err;
        }
      });
      return;
    }
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
  private callerClusters: CallerClientCache<InternalCluster> | undefined;

  private callerClusterCache(): CallerClientCache<InternalCluster> {
    this.callerClusters ??= this.callerClients('admin', (credential) =>
      this.createCluster(this.kafkaFor(credential)),
    );
    return this.callerClusters;
  }

  /**
   * Whether Kafka refuses the caller access to a consumer group (GROUP_AUTHORIZATION_FAILED on
   * FindCoordinator). kafkajs' own group calls report that only as "Failed to find group
   * coordinator" (it tries every broker and drops their errors), so this asks one broker
   * directly, over the caller's connection.
   */
  async groupAccessDenied(groupId: string, as: KafkaCaller): Promise<boolean> {
    return this.callerClusterCache().use(as.principal, as.credential, async (cluster) => {
      await cluster.refreshMetadataIfNecessary(); // a fresh connection has no broker list yet
      const broker = await cluster.findControllerBroker();
      try {
        await broker.findGroupCoordinator({ groupId });
        return false;
      } catch (err) {
        return isAuthorizationFailure(err);
      }
    });
  }

  private async sharedCluster(): Promise<InternalCluster> {
    if (this.cluster !== undefined) return this.cluster;
    const cluster = this.createCluster(this.kafka);
    await cluster.connect();
    this.cluster = cluster;
    return cluster;
  }

  private createCluster(kafka: Kafka): InternalCluster {
    const create = Object.getOwnPropertySymbols(kafka).find(
      (s) => s.description === 'private:Kafka:createCluster',
    );
    const factory =
      create === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[create];
    if (typeof factory !== 'function') {
      throw new Error('this kafkajs version does not expose its cluster factory');
    }
    return (factory as (o: object) => InternalCluster)({ allowAutoTopicCreation: false });
  }

  /** Closes the connection `commitAsNonMember` keeps and every per-caller client. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    const cluster = this.cluster;
    this.cluster = undefined;
    await Promise.all([
      cluster?.disconnect().catch(() => undefined),
      ...this.caches.map((c) => c.closeAll()),
    ]);
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
  refreshMetadataIfNecessary(): Promise<void>;
  findControllerBroker(): Promise<{
    findGroupCoordinator(q: { groupId: string }): Promise<unknown>;
  }>;
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

/**
 * SASL options that log in as the caller: a Basic caller's username and password with
 * KAFKA_PROPAGATION_SASL_MECHANISM, a bearer caller's own token with OAUTHBEARER.
 */
export function callerSaslOptions(
  credential: CallerCredential,
  propagation: Pick<PropagationConfig, 'saslMechanism'>,
): SASLOptions {
  if (credential.kind === 'bearer') {
    const token = credential.token;
    return {
      mechanism: 'oauthbearer',
      oauthBearerProvider: () => Promise.resolve({ value: token.value() }),
    };
  }
  return saslOptions({
    mechanism: propagation.saslMechanism,
    username: credential.username,
    password: credential.password,
  });
}

/** How often idle and expired per-caller clients are looked for. */
const CALLER_SWEEP_INTERVAL_MS = 1000;

type KafkaOptions = Omit<ConstructorParameters<typeof Kafka>[0], 'sasl'>;

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
