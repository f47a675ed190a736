import { type EdgeConfig, readEdgeConfig } from './edge.config';
import { type AuthzConfig, readAuthzConfig } from './authz.config';
import { type AuthConfig, readAuthConfig } from './auth.config';
import { type EnvReader } from './env-reader';
import { type PropagationConfig, readPropagation } from './propagation.config';
import type { Secret } from './secret';
import { readTracingConfig, type TracingConfig } from './tracing.config';

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
  /** How long a drain leaves idle keep-alive connections for the peer to close or reuse. */
  readonly drainIdleGraceMs: number;
  /** How long the public port waits at start for readiness (Kafka connected) before it opens. */
  readonly listenReadyWaitMs: number;
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
  /** Set: the public listener speaks HTTPS only (TLS 1.2 or later). */
  readonly tls: HttpTlsConfig | undefined;
}

/** The public listener's certificate (PEM files, re-read when they change). */
export interface HttpTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** Set: clients must present a certificate issued by this CA (refused at the TLS layer). */
  readonly clientCaFile: string | undefined;
}

export interface MetricsConfig {
  readonly host: string;
  readonly port: number;
  /** Distinct `topic` label values per process; later topics are counted as `_other`. */
  readonly topicLabelLimit: number;
}

/** Kafka's `security.protocol`. */
export type KafkaSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export const KAFKA_SECURITY_PROTOCOLS: readonly KafkaSecurityProtocol[] = [
  'PLAINTEXT',
  'SSL',
  'SASL_PLAINTEXT',
  'SASL_SSL',
];
/** Kafka's `sasl.mechanism` values the gateway speaks. */
export type KafkaSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';
export const KAFKA_SASL_MECHANISMS: readonly KafkaSaslMechanism[] = [
  'PLAIN',
  'SCRAM-SHA-256',
  'SCRAM-SHA-512',
  'OAUTHBEARER',
];

/** TLS to the brokers (PEM files, re-read when a connection is made). */
export interface KafkaTlsConfig {
  /** `ssl.ca.location`: CA certificates to trust instead of the system's. */
  readonly caFile: string | undefined;
  /** `ssl.certificate.location` / `ssl.key.location`: the client certificate for mTLS. */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  /** `ssl.key.password`: of an encrypted client key. */
  readonly keyPassword: Secret | undefined;
  /** `ssl.endpoint.identification.algorithm`: `https` (default) checks the broker's hostname. */
  readonly verifyHostname: boolean;
}

export type KafkaSaslConfig =
  | {
      readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
      readonly username: string;
      readonly password: Secret;
    }
  | {
      readonly mechanism: 'OAUTHBEARER';
      /** `sasl.oauthbearer.token.endpoint.url`: client-credentials flow against this endpoint. */
      readonly tokenEndpointUrl: string | undefined;
      readonly clientId: string | undefined;
      readonly clientSecret: Secret | undefined;
      readonly scope: string | undefined;
      /** A token read from a file (re-read when it changes), instead of the endpoint. */
      readonly tokenFile: string | undefined;
    };

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly securityProtocol: KafkaSecurityProtocol;
  /** Set for SSL and SASL_SSL. */
  readonly tls: KafkaTlsConfig | undefined;
  /** Set for SASL_PLAINTEXT and SASL_SSL. */
  readonly sasl: KafkaSaslConfig | undefined;
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** How long a cached topic's partition count is trusted before it is fetched again. */
  readonly metadataMaxAgeMs: number;
  /** Principal propagation: Kafka clients that authenticate as the caller (opt-in). */
  readonly propagation: PropagationConfig;
}

export interface SchemaRegistryConfig {
  /** Base URL of a Confluent-compatible registry API; unset disables the schema formats (42206). */
  readonly url: string | undefined;
  /** Budget of one registry operation, retries included. */
  readonly timeoutMs: number;
  /** Retries of a network failure or 5xx answer within that budget. */
  readonly retries: number;
  /** `user:password` for HTTP basic auth, as Confluent's `basic.auth.user.info`. */
  readonly basicAuthUserInfo: Secret | undefined;
  /** Confluent's `bearer.auth.token` (static token), sent as `Authorization: Bearer`. */
  readonly bearerAuthToken: Secret | undefined;
  /** `schema.registry.ssl.ca.location`: CA certificates to trust instead of the system's. */
  readonly caFile: string | undefined;
  /** `schema.registry.ssl.certificate.location` / `.key.location`: client certificate (mTLS). */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
}

/** The level of the one access-log line per request, or `off` (the hot path logs nothing). */
export type AccessLogLevel = 'off' | 'info' | 'debug';
export const ACCESS_LOG_LEVELS: readonly AccessLogLevel[] = ['off', 'info', 'debug'];

export interface CommonConfig {
  readonly logLevel: LogLevel;
  readonly accessLog: AccessLogLevel;
  readonly http: HttpConfig;
  readonly metrics: MetricsConfig;
  readonly kafka: KafkaConfig;
  readonly schemaRegistry: SchemaRegistryConfig;
  /** CORS, endpoint allow/block lists and quotas (config/edge.config.ts). */
  readonly edge: EdgeConfig;
  /** Authorization (AUTHZ_POLICY_FILE; see authz.config.ts). */
  readonly authz: AuthzConfig;
  /** Client authentication (AUTH_*; see auth.config.ts). */
  readonly auth: AuthConfig;
  /** OpenTelemetry tracing (off by default). */
  readonly tracing: TracingConfig;
}

function readSchemaRegistry(r: EnvReader): SchemaRegistryConfig {
  const url = r.url('SCHEMA_REGISTRY_URL');
  const userInfo = r.secret('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO');
  // a literal is checked now; a file's content is checked when it is used (it may rotate)
  if (userInfo?.file === undefined && userInfo?.value().includes(':') === false) {
    r.problem('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO must be user:password');
  }
  const bearerAuthToken = r.secret('SCHEMA_REGISTRY_BEARER_AUTH_TOKEN');
  const config = {
    url,
    timeoutMs: r.int('SCHEMA_REGISTRY_TIMEOUT_MS', 5000, { min: 100 }),
    retries: r.int('SCHEMA_REGISTRY_RETRIES', 2, { min: 0, max: 10 }),
    basicAuthUserInfo: userInfo,
    bearerAuthToken,
    caFile: r.file('SCHEMA_REGISTRY_SSL_CA_LOCATION'),
    certFile: r.file('SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION'),
    keyFile: r.file('SCHEMA_REGISTRY_SSL_KEY_LOCATION'),
  };
  const urlHasUser = url !== undefined && URL.canParse(url) && new URL(url).username !== '';
  if (bearerAuthToken !== undefined && (userInfo !== undefined || urlHasUser)) {
    r.problem(
      'SCHEMA_REGISTRY_BEARER_AUTH_TOKEN and basic credentials (SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO or a user in SCHEMA_REGISTRY_URL) exclude each other',
    );
  }
  const tlsSet =
    config.caFile !== undefined || config.certFile !== undefined || config.keyFile !== undefined;
  if (tlsSet && (url === undefined || !url.startsWith('https:'))) {
    r.problem('SCHEMA_REGISTRY_SSL_* files are set but SCHEMA_REGISTRY_URL is not an https URL');
  }
  if ((config.certFile === undefined) !== (config.keyFile === undefined)) {
    r.problem(
      'SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION and SCHEMA_REGISTRY_SSL_KEY_LOCATION go together (mTLS)',
    );
  }
  return config;
}

function readKafkaTls(r: EnvReader, protocol: KafkaSecurityProtocol): KafkaTlsConfig | undefined {
  const tls = {
    caFile: r.file('KAFKA_SSL_CA_LOCATION'),
    certFile: r.file('KAFKA_SSL_CERTIFICATE_LOCATION'),
    keyFile: r.file('KAFKA_SSL_KEY_LOCATION'),
    keyPassword: r.secret('KAFKA_SSL_KEY_PASSWORD'),
    verifyHostname:
      r.oneOf('KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM', ['https', 'none'], 'https') ===
      'https',
  };
  const anySet =
    tls.caFile !== undefined || tls.certFile !== undefined || tls.keyFile !== undefined;
  if (protocol !== 'SSL' && protocol !== 'SASL_SSL') {
    if (anySet) {
      r.problem(
        `KAFKA_SSL_* files are set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS (use SSL or SASL_SSL)`,
      );
    }
    return undefined;
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    r.problem('KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION go together (mTLS)');
  }
  return tls;
}

function readKafkaSasl(r: EnvReader, protocol: KafkaSecurityProtocol): KafkaSaslConfig | undefined {
  const mechanism = r.oneOf<KafkaSaslMechanism | 'NONE'>(
    'KAFKA_SASL_MECHANISM',
    [...KAFKA_SASL_MECHANISMS, 'NONE'],
    'NONE',
  );
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  if (!usesSasl) {
    if (mechanism !== 'NONE') {
      r.problem(
        `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL`,
      );
    }
    return undefined;
  }
  if (mechanism === 'NONE') {
    r.problem(`KAFKA_SECURITY_PROTOCOL=${protocol} needs KAFKA_SASL_MECHANISM`);
    return undefined;
  }
  if (mechanism === 'OAUTHBEARER') {
    const o = {
      mechanism,
      tokenEndpointUrl: r.url('KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL'),
      clientId: r.optionalString('KAFKA_SASL_OAUTHBEARER_CLIENT_ID'),
      clientSecret: r.secret('KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET'),
      scope: r.optionalString('KAFKA_SASL_OAUTHBEARER_SCOPE'),
      tokenFile: r.file('KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'),
    } as const;
    if ((o.tokenEndpointUrl === undefined) === (o.tokenFile === undefined)) {
      r.problem(
        'KAFKA_SASL_MECHANISM=OAUTHBEARER needs exactly one of KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL and KAFKA_SASL_OAUTHBEARER_TOKEN_FILE',
      );
    }
    if (
      o.tokenEndpointUrl !== undefined &&
      (o.clientId === undefined || o.clientSecret === undefined)
    ) {
      r.problem(
        'KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL needs KAFKA_SASL_OAUTHBEARER_CLIENT_ID and KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET (or _FILE)',
      );
    }
    return o;
  }
  const username = r.optionalString('KAFKA_SASL_USERNAME');
  const password = r.secret('KAFKA_SASL_PASSWORD');
  if (username === undefined || password === undefined) {
    r.problem(
      `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)`,
    );
    return undefined;
  }
  return { mechanism, username, password };
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
    drainIdleGraceMs: r.int('HTTP_DRAIN_IDLE_GRACE_MS', 5_000, { min: 0 }),
    listenReadyWaitMs: r.int('HTTP_LISTEN_READY_WAIT_MS', 10_000, { min: 0 }),
    keepAliveTimeoutMs: r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, { min: 1000 }),
    headersTimeoutMs,
    bodyIdleTimeoutMs: r.int('HTTP_BODY_IDLE_TIMEOUT_MS', 10_000, { min: 1000 }),
    requestTimeoutMs,
    // Jackson's default nesting limit, which Confluent's REST Proxy parses with
    maxJsonDepth: r.int('HTTP_MAX_JSON_DEPTH', 1000, { min: 1, max: MAX_JSON_DEPTH_CEILING }),
    tls: readHttpTls(r),
  };
}

function readHttpTls(r: EnvReader): HttpTlsConfig | undefined {
  const certFile = r.file('HTTP_TLS_CERT_FILE');
  const keyFile = r.file('HTTP_TLS_KEY_FILE');
  const clientCaFile = r.file('HTTP_TLS_CLIENT_CA_FILE');
  if (certFile === undefined || keyFile === undefined) {
    if (certFile !== undefined || keyFile !== undefined) {
      r.problem('HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE go together (HTTPS listener)');
    } else if (clientCaFile !== undefined) {
      r.problem('HTTP_TLS_CLIENT_CA_FILE needs HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE (HTTPS)');
    }
    return undefined;
  }
  return { certFile, keyFile, clientCaFile };
}

/** Reads the settings both gateways share. `defaults` differ per app (client id). */
export function readCommonConfig(r: EnvReader, defaults: { clientId: string }): CommonConfig {
  const securityProtocol = r.oneOf(
    'KAFKA_SECURITY_PROTOCOL',
    KAFKA_SECURITY_PROTOCOLS,
    'PLAINTEXT',
  );
  const sasl = readKafkaSasl(r, securityProtocol);
  const http = readHttp(r);
  return {
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    accessLog: r.oneOf('LOG_ACCESS', ACCESS_LOG_LEVELS, 'info'),
    http,
    metrics: {
      host: r.string('METRICS_HOST', '0.0.0.0'),
      port: r.port('METRICS_PORT', 9464),
      topicLabelLimit: r.int('METRICS_TOPIC_LABEL_LIMIT', 1000, { min: 0 }),
    },
    kafka: {
      brokers: r.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
      securityProtocol,
      tls: readKafkaTls(r, securityProtocol),
      sasl,
      clientId: r.string('KAFKA_CLIENT_ID', defaults.clientId),
      connectionTimeoutMs: r.int('KAFKA_CONNECTION_TIMEOUT_MS', 3000, { min: 100 }),
      requestTimeoutMs: r.int('KAFKA_REQUEST_TIMEOUT_MS', 30_000, { min: 100 }),
      metadataMaxAgeMs: r.int('KAFKA_METADATA_MAX_AGE_MS', 30_000, { min: 0 }),
      propagation: readPropagation(r, { securityProtocol, saslMechanism: sasl?.mechanism }),
    },
    schemaRegistry: readSchemaRegistry(r),
    edge: readEdgeConfig(r),
    authz: readAuthzConfig(r),
    auth: readAuthConfig(r, http.tls?.clientCaFile),
    tracing: readTracingConfig(r),
  };
}
