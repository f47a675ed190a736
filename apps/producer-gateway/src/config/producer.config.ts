import {
  type CommonConfig,
  deepFreeze,
  type Env,
  EnvReader,
  readCommonConfig,
} from '@kafka-gateway/server-kit';

export interface ProduceConfig {
  /** Upper bound on one produce call; past it the records are reported failed (50003). */
  readonly timeoutMs: number;
  /** Most records one produce request may carry. */
  readonly maxRecordsPerRequest: number;
}

export interface ProducerGatewayConfig extends CommonConfig {
  readonly produce: ProduceConfig;
}

/** Injection token of the frozen producer-gateway configuration. */
export const PRODUCER_CONFIG = Symbol('PRODUCER_CONFIG');

/** The only reader of the environment in this app: pure, validated, every problem at once. */
export function loadProducerConfig(env: Env): ProducerGatewayConfig {
  const r = new EnvReader(env);
  const common = readCommonConfig(r, { clientId: 'kafka-gateway-producer' });
  const produce: ProduceConfig = {
    timeoutMs: r.int('KAFKA_PRODUCE_TIMEOUT_MS', 30_000, { min: 100 }),
    maxRecordsPerRequest: r.int('HTTP_MAX_RECORDS_PER_REQUEST', 10_000, { min: 1 }),
  };
  r.done();
  return deepFreeze({ ...common, produce });
}
