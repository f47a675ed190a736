// first: replaces kafkajs' producer sendMessages before anything loads kafkajs (see the file)
export { kafkajsSendMessagesInstalled } from './kafka/kafkajs-send-messages';
export { EnvReader, ConfigError, deepFreeze, type Env } from './config/env-reader';
export { Secret } from './config/secret';
export {
  readRedisConnection,
  redisConnectionOptions,
  type RedisConnectionConfig,
  type RedisCredentialOptions,
} from './config/redis.config';
export { IDEMPOTENCY_KEY_HEADER, rawBodyOf } from './http/raw-body';
export { PemFiles, PEM_RECHECK_MS, type PemMaterial } from './config/pem-files';
export {
  readCommonConfig,
  LOG_LEVELS,
  type CommonConfig,
  type HttpConfig,
  type HttpTlsConfig,
  type KafkaConfig,
  type LogLevel,
  type MetricsConfig,
  type SchemaRegistryConfig,
} from './config/common.config';
export {
  GatewayError,
  catalogueEntry,
  type GatewayErrorOptions,
  isKnownErrorCode,
  type CatalogueEntry,
  type ErrorCode,
  type GatewayErrorCode,
} from './errors/error-catalogue';
export { toErrorResponse, type ErrorResponse } from './errors/error-response';
export { ErrorResponder } from './errors/error-responder';
export { Errors } from './errors/gateway-errors';
export { LOGGER, createLogger, PinoNestLogger } from './logging/logger';
export { MetricsService, methodLabel, OTHER_TOPICS } from './metrics/metrics.service';
export { ReadinessService } from './health/readiness.service';
export { ManagementServer } from './management/management-server';
export {
  liveRoutes,
  loadOpenApiContract,
  undocumentedRoutes,
  unnamedRoutes,
  type LiveRoute,
  type OpenApiContract,
} from './management/openapi-contract';
export { V2JsonInterceptor } from './http/v2-json.interceptor';
export {
  NO_METADATA,
  parseRecordMetadata,
  RECORD_METADATA_HEADER,
  type RecordMetadata,
  recordMetadataHeader,
} from './http/record-metadata';
export { exceedsJsonDepth } from './http/json-depth';
export { wantsEventStream } from './http/event-stream';
export { ServerKitModule } from './server-kit.module';
export { startGateway, type HotRoute, type RunningGateway } from './bootstrap/start-gateway';
export {
  isAuthenticationFailure,
  isAuthorizationFailure,
  isUnknownTopic,
  toCallerError,
  toGatewayError,
  toRecordError,
  type RecordError,
} from './kafka/kafka-errors';
export {
  KafkaClientFactory,
  keepConnecting,
  type NonMemberOffset,
} from './kafka/kafka-client.factory';
export { KafkaClientModule } from './kafka/kafka-client.module';
export {
  CallerClientCache,
  propagatedCaller,
  propagatedCredential,
  type CallerClient,
  type KafkaCaller,
  type EvictionReason,
} from './kafka/caller-clients';
export {
  readPropagation,
  type PropagationConfig,
  type PropagationFallback,
  type PropagationSaslMechanism,
} from './config/propagation.config';
export { ManagedAdmin } from './kafka/managed-admin';
export { ClientRenewal } from './kafka/client-renewal';
export { runGatewayMain } from './bootstrap/run-gateway-main';
export { ConfigModule } from './config/config.module';
export { SchemaModule, schemaRegistryOptions } from './schema/schema.module';
export {
  ANONYMOUS,
  principalOf,
  setPrincipal,
  type AuthMechanism,
  type CallerCredential,
  type Principal,
} from './auth/principal';
export { auditDenial, type Denial } from './auth/audit';
export { type AuthzConfig, readAuthzConfig } from './config/authz.config';
export {
  CLUSTER,
  OPERATIONS,
  group,
  resourceLabel,
  topic,
  type Operation,
  type Resource,
} from './authz/policy';
export { Authorizer, callerOf, type Caller } from './authz/authorizer';
export {
  Authorize,
  AuthorizedInService,
  CLUSTER_RESOURCE,
  PublicRoute,
  groupParam,
  topicParam,
  declaredAuthorization,
  type RouteAuthorization,
} from './authz/authorize.decorator';
export { enforceRouteAuthorization } from './authz/authorization.guard';
export { CallerOf } from './authz/caller.decorator';
export { AuthzModule } from './authz/authz.module';
export { routesWithoutAuthorization } from './authz/route-authorizations';
export { PolicyFile, POLICY_RECHECK_MS, type PolicyFs } from './authz/policy-file';
export {
  type CorsConfig,
  type EdgeConfig,
  type EndpointAccessConfig,
  type QuotaConfig,
  type RateLimit,
} from './config/edge.config';
export { ENDPOINT_NAMES, endpointOf, type Endpoint } from './http/endpoint-names';
export { byteMeter, type ByteMeter } from './quota/byte-meter';
export {
  decodePrincipal,
  encodePrincipal,
  INTERNAL_TOKEN_HEADER,
  matchesInternalToken,
  PRINCIPAL_HEADER,
} from './auth/internal-hop';
export { Authentication, type Verdict } from './auth/authentication';
export { authenticationMiddleware, createAuthentication } from './auth/authentication.middleware';
export {
  readAuthConfig,
  type AuthConfig,
  type AuthMethodName,
  type BasicAuthConfig,
  type JwtAuthConfig,
} from './config/auth.config';
export { TraceService, type FetchTrace, type ProduceTrace } from './tracing/trace.service';
export {
  TRACEPARENT,
  TRACESTATE,
  withTraceHeaders,
  type RecordTraceContext,
  type TraceHeaders,
} from './tracing/trace-headers';
export { readTracingConfig, type TracingConfig } from './config/tracing.config';
