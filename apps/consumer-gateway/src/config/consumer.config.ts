import { randomBytes } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import {
  type CommonConfig,
  deepFreeze,
  type Env,
  EnvReader,
  readCommonConfig,
} from '@kafka-gateway/server-kit';

export interface ConsumersConfig {
  /** Idle consumer instances are closed after this long (Confluent `consumer.instance.timeout.ms`). */
  readonly instanceTimeoutMs: number;
  /** Most consumer instances one replica holds. */
  readonly maxInstances: number;
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
}

export interface RoutingConfig {
  /** Unset: ownership of consumer instances is kept in memory (single replica). */
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key this gateway writes. */
  readonly redisKeyPrefix: string;
  /** This replica's name in Redis (unique per replica; defaults to hostname and a random tag). */
  readonly replicaId: string;
  /** How the other replicas reach this one's HTTP port (the pod IP in Kubernetes). */
  readonly internalUrl: string;
  /** Shared secret on forwarded requests; required with Redis. */
  readonly internalToken: string | undefined;
  /** Ownership and replica records expire this long after the last heartbeat. */
  readonly ownershipTtlMs: number;
  /** Connecting to the owner replica fails after this long (the owner is taken as gone). */
  readonly forwardConnectTimeoutMs: number;
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
  const consumers: ConsumersConfig = {
    instanceTimeoutMs: r.int('CONSUMER_INSTANCE_TIMEOUT_MS', 300_000, { min: 1000 }),
    maxInstances: r.int('CONSUMER_MAX_INSTANCES', 1000, { min: 1 }),
    publicBaseUrl: r.url('HTTP_PUBLIC_BASE_URL'),
    requestTimeoutMs: r.int('CONSUMER_REQUEST_TIMEOUT_MS', 1000, { min: 0, max: 300_000 }),
    maxBufferBytes: r.int('CONSUMER_MAX_BUFFER_BYTES', 8 * 1024 * 1024, { min: 1024 }),
    metadataRefreshMs: r.int('CONSUMER_METADATA_REFRESH_MS', 5000, { min: 100, max: 3_600_000 }),
    sessionTimeoutMs: r.int('KAFKA_CONSUMER_SESSION_TIMEOUT_MS', 30_000, {
      min: 6000,
      max: 300_000,
    }),
  };
  const routing = readRouting(r, common.http.port);
  r.done();
  return deepFreeze({ ...common, consumers, routing });
}

function readRouting(r: EnvReader, httpPort: number): RoutingConfig {
  const redisUrl = r.url('REDIS_URL');
  const internalToken = r.optionalString('INTERNAL_TOKEN');
  if (redisUrl !== undefined && (internalToken === undefined || internalToken.length < 16)) {
    r.problem(
      'INTERNAL_TOKEN must be set (16 characters or more) when REDIS_URL is set: replicas authenticate forwarded requests with it',
    );
  }
  const tag = randomBytes(3).toString('hex');
  return {
    redisUrl,
    redisKeyPrefix: r.string('REDIS_KEY_PREFIX', 'kafka-gateway:'),
    replicaId: r.string('REPLICA_ID', `${hostname()}-${tag}`),
    internalUrl:
      r.url('INTERNAL_URL') ?? `http://${firstIPv4() ?? '127.0.0.1'}:${String(httpPort)}`,
    internalToken,
    ownershipTtlMs: r.int('ROUTING_OWNERSHIP_TTL_MS', 30_000, { min: 3000 }),
    forwardConnectTimeoutMs: r.int('ROUTING_FORWARD_CONNECT_TIMEOUT_MS', 2000, { min: 100 }),
  };
}

/** The first external IPv4 address (what a pod's peers reach it on when INTERNAL_URL is unset). */
function firstIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
