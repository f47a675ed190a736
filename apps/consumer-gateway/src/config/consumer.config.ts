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
  };
  const redis: RedisConfig = { url: r.url('REDIS_URL') };
  r.done();
  return deepFreeze({ ...common, consumers, redis });
}
