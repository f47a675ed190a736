import { CodedError, type CodecErrorCode } from '@kafka-gateway/codec';

/**
 * Stable error codes of the gateways beyond those the codec raises. Each maps, in exactly one
 * place below, to an HTTP status and a Confluent `error_code` (see docs/api-compatibility.md).
 */
export type GatewayErrorCode =
  | 'route_not_found'
  | 'method_not_allowed'
  | 'malformed_json'
  | 'invalid_request'
  | 'validation_failed'
  | 'unrecognized_field'
  | 'body_too_large'
  | 'topic_not_found'
  | 'partition_not_found'
  | 'unknown_topic_or_partition'
  | 'cluster_not_found'
  | 'broker_not_found'
  | 'topic_config_not_found'
  | 'config_not_found'
  | 'reassignment_not_found'
  | 'consumer_group_not_found'
  | 'consumer_not_found'
  | 'consumer_lag_not_found'
  | 'payload_error'
  | 'produce_batch_invalid'
  | 'idempotency_key_invalid'
  | 'idempotency_key_reused'
  | 'idempotency_in_progress'
  | 'idempotency_unavailable'
  | 'kafka_bad_request'
  | 'kafka_throttled'
  | 'consumer_instance_not_found'
  | 'consumer_instance_exists'
  | 'illegal_consumer_state'
  | 'consumer_format_mismatch'
  | 'invalid_consumer_config'
  | 'consumer_config_constraint'
  | 'too_many_consumer_instances'
  | 'record_not_decodable'
  | 'kafka_authentication_failed'
  | 'unauthenticated'
  | 'forbidden'
  | 'rate_limited'
  | 'cors_rejected'
  | 'kafka_authorization_failed'
  | 'kafka_error'
  | 'kafka_retriable_error'
  | 'kafka_timeout'
  | 'broker_not_available'
  | 'routing_unavailable'
  | 'overloaded'
  | 'shutting_down'
  | 'not_implemented'
  | 'internal';

export type ErrorCode = CodecErrorCode | GatewayErrorCode;

export interface CatalogueEntry {
  readonly status: number;
  readonly errorCode: number;
}

const CATALOGUE: Readonly<Record<ErrorCode, CatalogueEntry>> = Object.freeze({
  // codec
  unsupported_media_type: { status: 415, errorCode: 415 },
  not_acceptable: { status: 406, errorCode: 406 },
  invalid_base64: { status: 400, errorCode: 400 },
  invalid_payload: { status: 400, errorCode: 400 },
  unsupported_format: { status: 415, errorCode: 415 },
  invalid_wire_format: { status: 408, errorCode: 40801 },
  schema_registry_not_configured: { status: 422, errorCode: 42206 },
  key_schema_missing: { status: 422, errorCode: 42201 },
  value_schema_missing: { status: 422, errorCode: 42202 },
  schema_invalid: { status: 422, errorCode: 42205 },
  schema_incompatible: { status: 422, errorCode: 42207 },
  schema_not_found: { status: 422, errorCode: 42207 },
  schema_registry_error: { status: 422, errorCode: 42207 },
  // Confluent surfaces serializer-level failures as 408/40801; an unreachable registry is one.
  schema_registry_unavailable: { status: 408, errorCode: 40801 },
  schema_mismatch: { status: 400, errorCode: 400 },
  deserialization_failed: { status: 408, errorCode: 40801 },
  // generic HTTP
  route_not_found: { status: 404, errorCode: 404 },
  method_not_allowed: { status: 405, errorCode: 405 },
  malformed_json: { status: 400, errorCode: 400 },
  invalid_request: { status: 400, errorCode: 400 },
  validation_failed: { status: 422, errorCode: 422 },
  unrecognized_field: { status: 422, errorCode: 422 },
  body_too_large: { status: 413, errorCode: 413 },
  // Kafka resources
  topic_not_found: { status: 404, errorCode: 40401 },
  partition_not_found: { status: 404, errorCode: 40402 },
  unknown_topic_or_partition: { status: 404, errorCode: 40403 },
  // v3 resources that Confluent reports with a plain 404
  cluster_not_found: { status: 404, errorCode: 404 },
  broker_not_found: { status: 404, errorCode: 404 },
  topic_config_not_found: { status: 404, errorCode: 404 },
  config_not_found: { status: 404, errorCode: 404 },
  reassignment_not_found: { status: 404, errorCode: 404 },
  consumer_group_not_found: { status: 404, errorCode: 404 },
  consumer_not_found: { status: 404, errorCode: 404 },
  consumer_lag_not_found: { status: 404, errorCode: 404 },
  // v3 request body missing or unusable ("Payload error. ...")
  payload_error: { status: 422, errorCode: 42206 },
  // v3 records:batch refused as a whole (empty, too many entries, bad or repeated ids)
  produce_batch_invalid: { status: 422, errorCode: 42208 },
  // idempotent produce (extension): an Idempotency-Key header that is empty, too long or not
  // printable ASCII; the key reused for another request; the first request still running; the
  // key store (Redis) unreachable, so the gateway cannot tell a retry from a new request
  idempotency_key_invalid: { status: 400, errorCode: 40004 },
  idempotency_key_reused: { status: 422, errorCode: 42210 },
  idempotency_in_progress: { status: 409, errorCode: 40904 },
  idempotency_unavailable: { status: 503, errorCode: 50304 },
  // Kafka refused the request as invalid (topic exists, bad partitions/RF, bad config, ...)
  kafka_bad_request: { status: 400, errorCode: 40002 },
  kafka_throttled: { status: 429, errorCode: 42901 },
  consumer_instance_not_found: { status: 404, errorCode: 40403 },
  consumer_instance_exists: { status: 409, errorCode: 40902 },
  illegal_consumer_state: { status: 409, errorCode: 40903 },
  consumer_format_mismatch: { status: 406, errorCode: 40601 },
  invalid_consumer_config: { status: 422, errorCode: 42204 },
  consumer_config_constraint: { status: 422, errorCode: 40001 },
  too_many_consumer_instances: { status: 429, errorCode: 429 },
  record_not_decodable: { status: 408, errorCode: 40801 },
  kafka_authentication_failed: { status: 401, errorCode: 40101 },
  // gateway client authentication and authorization (the caller, not the gateway's Kafka login)
  unauthenticated: { status: 401, errorCode: 40101 },
  forbidden: { status: 403, errorCode: 40301 },
  // Confluent's RateLimitExceededException: 429 with the status as its code
  rate_limited: { status: 429, errorCode: 429 },
  // a CORS preflight from an origin, or for a method or header, that is not allowed
  cors_rejected: { status: 403, errorCode: 403 },
  kafka_authorization_failed: { status: 403, errorCode: 40301 },
  kafka_error: { status: 500, errorCode: 50002 },
  kafka_retriable_error: { status: 500, errorCode: 50003 },
  kafka_timeout: { status: 500, errorCode: 50003 },
  broker_not_available: { status: 503, errorCode: 50302 },
  // scale-out: the ownership table (Redis) cannot be reached to route a request
  routing_unavailable: { status: 503, errorCode: 50303 },
  // load
  overloaded: { status: 429, errorCode: 429 },
  shutting_down: { status: 503, errorCode: 503 },
  // a Confluent operation this gateway cannot perform (a limit of its Kafka client)
  not_implemented: { status: 501, errorCode: 501 },
  internal: { status: 500, errorCode: 500 },
});

export function catalogueEntry(code: ErrorCode): CatalogueEntry {
  return CATALOGUE[code];
}

export function isKnownErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, code);
}

export interface GatewayErrorOptions {
  readonly retriable?: boolean;
  readonly retryAfterSeconds?: number;
  /** Set where the error is classified: cached topic metadata is out of date. */
  readonly staleMetadata?: boolean;
  readonly cause?: unknown;
}

/** A gateway failure: stable code, retriable flag, optional Retry-After seconds. */
export class GatewayError extends CodedError<GatewayErrorCode> {
  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(code, message, options.retriable ?? false, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.staleMetadata = options.staleMetadata ?? false;
  }

  readonly retryAfterSeconds: number | undefined;
  readonly staleMetadata: boolean;
}
