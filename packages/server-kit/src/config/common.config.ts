import { type EnvReader } from './env-reader';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** 2000 levels still serialize inside a request handler; 5000 overflow JSON.stringify's stack. */
const MAX_JSON_DEPTH_CEILING = 2000;

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  /** Request bodies above this size are refused with 413 while they are being read. */
  readonly maxBodyBytes: number;
  /** How long a graceful shutdown waits for in-flight requests before giving up. */
  readonly shutdownTimeoutMs: number;
  /** Node's keep-alive timeout; above the load balancer's idle timeout avoids reset races. */
  readonly keepAliveTimeoutMs: number;
  /** The request line and headers must arrive within this long (slowloris headers → 408). */
  readonly headersTimeoutMs: number;
  /** A request body that stalls this long before it is complete is answered 408. */
  readonly bodyIdleTimeoutMs: number;
  /** The whole request, body included, must arrive within this long (also bounds a v3 stream). */
  readonly requestTimeoutMs: number;
  /** JSON bodies nested deeper than this are refused with 400 before anything recursive runs. */
  readonly maxJsonDepth: number;
}

export interface MetricsConfig {
  readonly host: string;
  readonly port: number;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** How long a cached topic's partition count is trusted before it is fetched again. */
  readonly metadataMaxAgeMs: number;
}

export interface SchemaRegistryConfig {
  /** Base URL of a Confluent-compatible registry API; unset disables the schema formats (42206). */
  readonly url: string | undefined;
  /** Budget of one registry operation, retries included. */
  readonly timeoutMs: number;
  /** Retries of a network failure or 5xx answer within that budget. */
  readonly retries: number;
  /** `user:password` for HTTP basic auth, as Confluent's `basic.auth.user.info`. */
  readonly basicAuthUserInfo: string | undefined;
}

export interface CommonConfig {
  readonly logLevel: LogLevel;
  readonly http: HttpConfig;
  readonly metrics: MetricsConfig;
  readonly kafka: KafkaConfig;
  readonly schemaRegistry: SchemaRegistryConfig;
}

function readSchemaRegistry(r: EnvReader): SchemaRegistryConfig {
  const userInfo = r.optionalString('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO');
  if (userInfo !== undefined && !userInfo.includes(':')) {
    r.problem('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO must be user:password');
  }
  return {
    url: r.url('SCHEMA_REGISTRY_URL'),
    timeoutMs: r.int('SCHEMA_REGISTRY_TIMEOUT_MS', 5000, { min: 100 }),
    retries: r.int('SCHEMA_REGISTRY_RETRIES', 2, { min: 0, max: 10 }),
    basicAuthUserInfo: userInfo,
  };
}

function readHttp(r: EnvReader): HttpConfig {
  const headersTimeoutMs = r.int('HTTP_HEADERS_TIMEOUT_MS', 10_000, { min: 1000 });
  const requestTimeoutMs = r.int('HTTP_REQUEST_TIMEOUT_MS', 300_000, { min: 1000 });
  if (requestTimeoutMs < headersTimeoutMs) {
    r.problem('HTTP_REQUEST_TIMEOUT_MS must not be below HTTP_HEADERS_TIMEOUT_MS');
  }
  return {
    host: r.string('HTTP_HOST', '0.0.0.0'),
    port: r.port('HTTP_PORT', 8082),
    maxBodyBytes: r.int('HTTP_MAX_BODY_BYTES', 64 * 1024 * 1024, { min: 1024 }),
    shutdownTimeoutMs: r.int('HTTP_SHUTDOWN_TIMEOUT_MS', 25_000, { min: 0 }),
    keepAliveTimeoutMs: r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, { min: 1000 }),
    headersTimeoutMs,
    bodyIdleTimeoutMs: r.int('HTTP_BODY_IDLE_TIMEOUT_MS', 10_000, { min: 1000 }),
    requestTimeoutMs,
    // Jackson's default nesting limit, which Confluent's REST Proxy parses with
    maxJsonDepth: r.int('HTTP_MAX_JSON_DEPTH', 1000, { min: 1, max: MAX_JSON_DEPTH_CEILING }),
  };
}

/** Reads the settings both gateways share. `defaults` differ per app (client id). */
export function readCommonConfig(r: EnvReader, defaults: { clientId: string }): CommonConfig {
  return {
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    http: readHttp(r),
    metrics: {
      host: r.string('METRICS_HOST', '0.0.0.0'),
      port: r.port('METRICS_PORT', 9464),
    },
    kafka: {
      brokers: r.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
      clientId: r.string('KAFKA_CLIENT_ID', defaults.clientId),
      connectionTimeoutMs: r.int('KAFKA_CONNECTION_TIMEOUT_MS', 3000, { min: 100 }),
      requestTimeoutMs: r.int('KAFKA_REQUEST_TIMEOUT_MS', 30_000, { min: 100 }),
      metadataMaxAgeMs: r.int('KAFKA_METADATA_MAX_AGE_MS', 30_000, { min: 0 }),
    },
    schemaRegistry: readSchemaRegistry(r),
  };
}
