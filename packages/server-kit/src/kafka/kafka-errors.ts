import { GatewayError } from '../errors/error-catalogue';
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSBrokerNotFound,
} from 'kafkajs';

/** Per-record failure as Confluent reports it inside a v2 produce response. */
export interface RecordError {
  readonly error_code: number;
  readonly error: string;
}

function protocolType(err: unknown): string | undefined {
  let e: unknown = err;
  // kafkajs wraps the last protocol error of a retry loop, and admin calls that act on several
  // resources (createTopics, deleteTopics) throw an aggregate of per-resource protocol errors
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    if (e instanceof KafkaJSProtocolError) return e.type;
    const aggregate = (e as { errors?: unknown }).errors;
    e =
      (e as { originalError?: unknown }).originalError ??
      e.cause ??
      (Array.isArray(aggregate) ? (aggregate[0] as unknown) : undefined);
  }
  return undefined;
}

/** The innermost protocol error's message (kafkajs wrappers prefix their own text). */
function protocolMessage(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    if (e instanceof KafkaJSProtocolError) return e.message;
    const aggregate = (e as { errors?: unknown }).errors;
    e =
      (e as { originalError?: unknown }).originalError ??
      e.cause ??
      (Array.isArray(aggregate) ? (aggregate[0] as unknown) : undefined);
  }
  return err instanceof Error ? err.message : String(err);
}

/** Kafka errors Confluent answers with 400 / 40002 (its "bad request" class of Kafka errors). */
const BAD_REQUEST = new Set([
  'TOPIC_ALREADY_EXISTS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_PARTITIONS',
  'INVALID_REPLICA_ASSIGNMENT',
  'POLICY_VIOLATION',
  'INVALID_CONFIG',
  'INVALID_REQUEST',
  'UNSUPPORTED_VERSION',
  'UNKNOWN_SERVER_ERROR',
  'SECURITY_DISABLED',
  'TOPIC_DELETION_DISABLED',
  'INVALID_TOPIC_EXCEPTION',
]);

function isConnectionFailure(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 3 && e instanceof Error; i++) {
    if (e instanceof KafkaJSConnectionError || e instanceof KafkaJSBrokerNotFound) return true;
    if (e instanceof KafkaJSError && /disconnected|connection|ECONNREFUSED/i.test(e.message))
      return true;
    e = (e as { originalError?: unknown }).originalError ?? e.cause;
  }
  return false;
}

/** Maps a kafkajs failure of a whole request to the Confluent error catalogue. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const type = protocolType(err);
  const message = err instanceof Error ? err.message : String(err);
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new GatewayError(
      'unknown_topic_or_partition',
      'This server does not host this topic-partition.',
      { cause: err },
    );
  }
  if (type !== undefined && BAD_REQUEST.has(type)) {
    return new GatewayError('kafka_bad_request', protocolMessage(err), { cause: err });
  }
  if (type === 'THROTTLING_QUOTA_EXCEEDED') {
    return new GatewayError('kafka_throttled', protocolMessage(err), {
      retriable: true,
      retryAfterSeconds: 1,
      cause: err,
    });
  }
  if (type === 'GROUP_AUTHORIZATION_FAILED' || (type !== undefined && AUTHORIZATION.has(type))) {
    return new GatewayError('kafka_authorization_failed', protocolMessage(err), { cause: err });
  }
  if (isConnectionFailure(err)) {
    return new GatewayError('broker_not_available', `Kafka is not available: ${message}`, {
      retriable: true,
      retryAfterSeconds: 1,
      cause: err,
    });
  }
  if (err instanceof KafkaJSRequestTimeoutError) {
    return new GatewayError('kafka_timeout', message, { retriable: true, cause: err });
  }
  const retriable =
    err instanceof KafkaJSError && (err.retriable || err instanceof KafkaJSNumberOfRetriesExceeded);
  return new GatewayError(retriable ? 'kafka_retriable_error' : 'kafka_error', message, {
    retriable,
    cause: err,
  });
}

const AUTHENTICATION = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
]);
const AUTHORIZATION = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/** Maps a kafkajs failure of one record (or its batch) to Confluent's per-record codes. */
export function toRecordError(err: unknown): RecordError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof GatewayError)
    return { error_code: err.retriable ? 50003 : 50002, error: message };
  const type = protocolType(err);
  if (type !== undefined && AUTHENTICATION.has(type)) return { error_code: 40101, error: message };
  if (type !== undefined && AUTHORIZATION.has(type)) return { error_code: 40301, error: message };
  const retriable = err instanceof KafkaJSError && err.retriable;
  return { error_code: retriable || isConnectionFailure(err) ? 50003 : 50002, error: message };
}

/**
 * Whether a kafkajs error (or one it wraps) is UNKNOWN_TOPIC_OR_PARTITION. kafkajs keeps every
 * topic a client used in all its later metadata requests, so after a topic is deleted this is
 * what every call of that client fails with (kafkajs#1146, #1622) until the client is replaced.
 */
export function isUnknownTopic(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const o = e as { type?: unknown; originalError?: unknown; cause?: unknown };
    if (o.type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
    e = o.originalError ?? o.cause;
  }
  return false;
}
