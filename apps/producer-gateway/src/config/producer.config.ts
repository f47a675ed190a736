import {
  type CommonConfig,
  deepFreeze,
  type Env,
  EnvReader,
  readCommonConfig,
  readRedisConnection,
  type RedisConnectionConfig,
} from '@kafka-gateway/server-kit';

export interface ProduceConfig {
  /** Upper bound on one produce call; past it the records are reported failed (50003). */
  readonly timeoutMs: number;
  /** Most records one produce request may carry. */
  readonly maxRecordsPerRequest: number;
  /** How long an idle producer waits to coalesce records of concurrent requests. */
  readonly lingerMs: number;
  readonly maxBatchRecords: number;
  readonly maxBatchBytes: number;
  /** Bytes accepted but not yet acknowledged by Kafka before new requests get 429. */
  readonly maxPendingBytes: number;
  /**
   * v2 produce served by its Express-level hot route (same guards and errors; see
   * produce/v2/produce.route.ts); false: by the Nest controller.
   */
  readonly hotRoute: boolean;
}

export interface StreamingProduceConfig {
  /** Records of one v3 produce stream read but not yet answered before reading pauses. */
  readonly maxInFlightRecords: number;
  /** Largest single JSON record in a v3 produce stream; a larger one ends the stream (400). */
  readonly maxRecordBytes: number;
}

/** Idempotent produce (`Idempotency-Key` header); see the README section of that name. */
export interface IdempotencyConfig {
  /** How long a completed request's response is kept and replayed to a retry with its key. */
  readonly windowMs: number;
  /** Longest accepted key (characters); a longer one is refused with 400/40004. */
  readonly maxKeyLength: number;
  /**
   * How long a claim of a running request lasts: past it (its replica died mid-request) a retry
   * runs again. Longer than any produce may take: the produce timeout plus a margin.
   */
  readonly pendingTtlMs: number;
  /** Without Redis: most response bytes kept in memory (the oldest keys are dropped first). */
  readonly memoryMaxBytes: number;
}

export interface ProducerGatewayConfig extends CommonConfig {
  readonly produce: ProduceConfig;
  readonly idempotency: IdempotencyConfig;
  /** Set (REDIS_URL): idempotency keys are shared by every replica; unset: kept in memory. */
  readonly redis: RedisConnectionConfig | undefined;
  readonly streaming: StreamingProduceConfig;
  /** The URL clients use (the load balancer), for v3 links; unset = the request's own. */
  readonly publicBaseUrl: string | undefined;
  /** Worker processes sharing the public port (HTTP_WORKERS): use every core of a pod. */
  readonly workers: number;
}

/**
 * Time a request may spend outside the produce call itself (body, schema registry, metadata)
 * before its claim on an idempotency key lapses: the claim lasts the produce timeout plus this.
 */
const PENDING_MARGIN_MS = 10_000;

/** More workers than this is a typo, not a pod size (each holds its own Kafka producer). */
const MAX_WORKERS = 64;

/** Injection token of the frozen producer-gateway configuration. */
export const PRODUCER_CONFIG = Symbol('PRODUCER_CONFIG');

/** The only reader of the environment in this app: pure, validated, every problem at once. */
export function loadProducerConfig(env: Env): ProducerGatewayConfig {
  const r = new EnvReader(env);
  const common = readCommonConfig(r, { clientId: 'kafka-gateway-producer' });
  const produce: ProduceConfig = {
    timeoutMs: r.int('KAFKA_PRODUCE_TIMEOUT_MS', 30_000, { min: 100 }),
    maxRecordsPerRequest: r.int('HTTP_MAX_RECORDS_PER_REQUEST', 10_000, { min: 1 }),
    lingerMs: r.int('KAFKA_PRODUCE_LINGER_MS', 0, { min: 0, max: 1000 }),
    maxBatchRecords: r.int('KAFKA_PRODUCE_MAX_BATCH_RECORDS', 10_000, { min: 1 }),
    // below the broker's default message.max.bytes (1 MiB) for a batch of one partition
    maxBatchBytes: r.int('KAFKA_PRODUCE_MAX_BATCH_BYTES', 900_000, { min: 1024 }),
    maxPendingBytes: r.int('KAFKA_PRODUCE_MAX_PENDING_BYTES', 128 * 1024 * 1024, { min: 1024 }),
    hotRoute: r.bool('PRODUCE_HOT_ROUTE', true),
  };
  const idempotency: IdempotencyConfig = {
    windowMs: r.int('IDEMPOTENCY_WINDOW_SECONDS', 3600, { min: 1, max: 7 * 24 * 3600 }) * 1000,
    maxKeyLength: r.int('IDEMPOTENCY_KEY_MAX_LENGTH', 255, { min: 1, max: 4096 }),
    pendingTtlMs: produce.timeoutMs + PENDING_MARGIN_MS,
    memoryMaxBytes: r.int('IDEMPOTENCY_MEMORY_MAX_BYTES', 64 * 1024 * 1024, { min: 1024 }),
  };
  const redis = readRedisConnection(r);
  const streaming: StreamingProduceConfig = {
    maxInFlightRecords: r.int('HTTP_STREAM_MAX_IN_FLIGHT_RECORDS', 1000, { min: 1 }),
    maxRecordBytes: r.int('HTTP_STREAM_MAX_RECORD_BYTES', common.http.maxBodyBytes, { min: 1024 }),
  };
  const publicBaseUrl = r.url('HTTP_PUBLIC_BASE_URL');
  const workers = r.int('HTTP_WORKERS', 1, { min: 1, max: MAX_WORKERS });
  r.done();
  return deepFreeze({
    ...common,
    produce,
    idempotency,
    redis,
    streaming,
    publicBaseUrl,
    workers,
  });
}
