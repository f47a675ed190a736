import { randomBytes } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import {
  type CommonConfig,
  deepFreeze,
  type Env,
  EnvReader,
  type HttpConfig,
  readCommonConfig,
  readRedisConnection,
  type Secret,
} from '@kafka-gateway/server-kit';
import { isPoisonPolicy, type PoisonPolicy } from '../consumers/consumer-requests.parser';

export interface ConsumersConfig {
  /** Idle consumer instances are closed after this long (Confluent `consumer.instance.timeout.ms`). */
  readonly instanceTimeoutMs: number;
  /** Most consumer instances one replica holds. */
  readonly maxInstances: number;
  /**
   * QUOTA_CONSUMER_INSTANCES_PER_PRINCIPAL: most instances one principal holds on one replica
   * (undefined: no limit beyond maxInstances). Counted per replica: instances live in the
   * replica that created them.
   */
  readonly maxInstancesPerPrincipal: number | undefined;
  /** The URL clients reach the gateway on (the load balancer); base_uri is built from it. */
  readonly publicBaseUrl: string | undefined;
  /** Default longest wait of a records fetch (Confluent `consumer.request.timeout.ms`). */
  readonly requestTimeoutMs: number;
  /** Fetched records buffered per instance before its partitions are paused. */
  readonly maxBufferBytes: number;
  /** Kafka session timeout of instance consumers. */
  /**
   * How often instances with a topic or pattern subscription check which topics exist, so that
   * topics created later are read (Java's `metadata.max.age.ms`, 5 min by default).
   */
  readonly metadataRefreshMs: number;
  readonly sessionTimeoutMs: number;
  /** CONSUMER_POISON_POLICY: an instance's `poison.policy` when its creation names none. */
  readonly poisonPolicy: PoisonPolicy;
  /** CONSUMER_POISON_DEAD_LETTER_TOPIC: the DLQ topic of instances that name none. */
  readonly deadLetterTopic: string | undefined;
  /**
   * A records stream (SSE) writes a comment line after this long without an event, so that
   * proxies and load balancers do not close an idle stream.
   */
  readonly streamHeartbeatMs: number;
}

export interface RoutingConfig {
  /** Unset: ownership of consumer instances is kept in memory (single replica). */
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key this gateway writes. */
  readonly redisKeyPrefix: string;
  /** ACL user and password (`AUTH <user> <password>`); a user in the URL works too. */
  readonly redisUsername: string | undefined;
  readonly redisPassword: Secret | undefined;
  /** With a `rediss://` URL: the CA to trust instead of the system's (re-read on reconnect). */
  readonly redisCaFile: string | undefined;
  /** This replica's name in Redis (unique per replica; defaults to hostname and a random tag). */
  readonly replicaId: string;
  /** How the other replicas reach this one's HTTP port (the pod IP in Kubernetes). */
  readonly internalUrl: string;
  /** Shared secret on forwarded requests; required with Redis. */
  readonly internalToken: string | undefined;
  /** Set when `internalUrl` is https: how forwarded requests check the owner (and prove us). */
  readonly internalTls: InternalTlsConfig | undefined;
  /** Ownership and replica records expire this long after the last heartbeat. */
  readonly ownershipTtlMs: number;
  /** Connecting to the owner replica fails after this long (the owner is taken as gone). */
  readonly forwardConnectTimeoutMs: number;
}

/** TLS of forwarded requests between replicas (PEM files, re-read when they change). */
export interface InternalTlsConfig {
  /** CA the other replicas' certificates are checked against; unset: the system's CAs. */
  readonly caFile: string | undefined;
  /** Client certificate presented to the owner (needed when it asks for one). */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  /** The name the owner's certificate is checked against instead of its (pod IP) address. */
  readonly serverName: string | undefined;
}

export interface ConsumerGatewayConfig extends CommonConfig {
  readonly consumers: ConsumersConfig;
  readonly routing: RoutingConfig;
}

export const CONSUMER_CONFIG = Symbol('CONSUMER_CONFIG');

/** The only reader of the environment in this app: pure, validated, every problem at once. */
export function loadConsumerConfig(env: Env): ConsumerGatewayConfig {
  const r = new EnvReader(env);
  const common = readCommonConfig(r, { clientId: 'kafka-gateway-consumer' });
  const consumers: Omit<ConsumersConfig, 'poisonPolicy' | 'deadLetterTopic'> = {
    instanceTimeoutMs: r.int('CONSUMER_INSTANCE_TIMEOUT_MS', 300_000, { min: 1000 }),
    maxInstances: r.int('CONSUMER_MAX_INSTANCES', 1000, { min: 1 }),
    maxInstancesPerPrincipal: optionalLimit(r, 'QUOTA_CONSUMER_INSTANCES_PER_PRINCIPAL'),
    publicBaseUrl: r.url('HTTP_PUBLIC_BASE_URL'),
    requestTimeoutMs: r.int('CONSUMER_REQUEST_TIMEOUT_MS', 1000, { min: 0, max: 300_000 }),
    maxBufferBytes: r.int('CONSUMER_MAX_BUFFER_BYTES', 8 * 1024 * 1024, { min: 1024 }),
    metadataRefreshMs: r.int('CONSUMER_METADATA_REFRESH_MS', 5000, { min: 100, max: 3_600_000 }),
    sessionTimeoutMs: r.int('KAFKA_CONSUMER_SESSION_TIMEOUT_MS', 30_000, {
      min: 6000,
      max: 300_000,
    }),
    streamHeartbeatMs: r.int('CONSUMER_STREAM_HEARTBEAT_MS', 15_000, { min: 100, max: 300_000 }),
  };
  const poisonPolicy = r.string('CONSUMER_POISON_POLICY', 'fail');
  if (!isPoisonPolicy(poisonPolicy)) {
    r.problem('CONSUMER_POISON_POLICY must be fail, skip or dead-letter');
  }
  const deadLetterTopic = r.optionalString('CONSUMER_POISON_DEAD_LETTER_TOPIC');
  if (poisonPolicy === 'dead-letter' && deadLetterTopic === undefined) {
    r.problem('CONSUMER_POISON_POLICY=dead-letter needs CONSUMER_POISON_DEAD_LETTER_TOPIC');
  }
  const consumersWithPolicy: ConsumersConfig = {
    ...consumers,
    poisonPolicy: isPoisonPolicy(poisonPolicy) ? poisonPolicy : 'fail',
    deadLetterTopic,
  };
  const routing = readRouting(r, common.http);
  r.done();
  return deepFreeze({ ...common, consumers: consumersWithPolicy, routing });
}

/** A positive limit, or undefined when unset (unlimited). */
function optionalLimit(r: EnvReader, name: string): number | undefined {
  if (r.optionalString(name) === undefined) return undefined;
  return r.int(name, 0, { min: 1 });
}

function readRouting(r: EnvReader, http: HttpConfig): RoutingConfig {
  const redis = readRedisConnection(r);
  const redisUrl = redis?.url;
  const internalToken = r.optionalString('INTERNAL_TOKEN');
  if (redisUrl !== undefined && (internalToken === undefined || internalToken.length < 16)) {
    r.problem(
      'INTERNAL_TOKEN must be set (16 characters or more) when REDIS_URL is set: replicas authenticate forwarded requests with it',
    );
  }
  const tag = randomBytes(3).toString('hex');
  const scheme = http.tls === undefined ? 'http' : 'https';
  const internalUrl =
    r.url('INTERNAL_URL') ?? `${scheme}://${firstIPv4() ?? '127.0.0.1'}:${String(http.port)}`;
  return {
    redisUrl,
    redisKeyPrefix: redis?.keyPrefix ?? 'kafka-gateway:',
    redisUsername: redis?.username,
    redisPassword: redis?.password,
    redisCaFile: redis?.caFile,
    replicaId: r.string('REPLICA_ID', `${hostname()}-${tag}`),
    internalUrl,
    internalToken,
    internalTls: readInternalTls(r, internalUrl, http),
    ownershipTtlMs: r.int('ROUTING_OWNERSHIP_TTL_MS', 30_000, { min: 3000 }),
    forwardConnectTimeoutMs: r.int('ROUTING_FORWARD_CONNECT_TIMEOUT_MS', 2000, { min: 100 }),
  };
}

function readInternalTls(
  r: EnvReader,
  internalUrl: string,
  http: HttpConfig,
): InternalTlsConfig | undefined {
  const tls = {
    caFile: r.file('INTERNAL_TLS_CA_FILE'),
    certFile: r.file('INTERNAL_TLS_CERT_FILE'),
    keyFile: r.file('INTERNAL_TLS_KEY_FILE'),
    serverName: r.optionalString('INTERNAL_TLS_SERVER_NAME'),
  };
  const https = internalUrl.startsWith('https:');
  if (https !== (http.tls !== undefined)) {
    r.problem(
      https
        ? 'INTERNAL_URL is https but this replica listens on plain HTTP (set HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE)'
        : 'INTERNAL_URL is http but this replica listens on HTTPS (HTTP_TLS_CERT_FILE): use an https INTERNAL_URL',
    );
  }
  if (!https) {
    if (Object.values(tls).some((v) => v !== undefined)) {
      r.problem('INTERNAL_TLS_* is set but INTERNAL_URL is not https');
    }
    return undefined;
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    r.problem('INTERNAL_TLS_CERT_FILE and INTERNAL_TLS_KEY_FILE go together');
  }
  if (http.tls?.clientCaFile !== undefined && tls.certFile === undefined) {
    r.problem(
      'HTTP_TLS_CLIENT_CA_FILE makes replicas ask for client certificates: set INTERNAL_TLS_CERT_FILE and INTERNAL_TLS_KEY_FILE for forwarded requests',
    );
  }
  return tls;
}

/** The first external IPv4 address (what a pod's peers reach it on when INTERNAL_URL is unset). */
function firstIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
