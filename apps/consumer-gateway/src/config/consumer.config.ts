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
  readonly sessionTimeoutMs: number;
}

export interface RedisConfig {
  /** Unset: ownership of consumer instances is kept in memory (single replica). */
  readonly url: string | undefined;
}

export interface ConsumerGatewayConfig extends CommonConfig {
  readonly consumers: ConsumersConfig;
  readonly redis: RedisConfig;
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
    sessionTimeoutMs: r.int('KAFKA_CONSUMER_SESSION_TIMEOUT_MS', 30_000, {
      min: 6000,
      max: 300_000,
    }),
  };
  const redis: RedisConfig = { url: r.url('REDIS_URL') };
  r.done();
  return deepFreeze({ ...common, consumers, redis });
}
