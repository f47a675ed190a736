import { catalogueEntry, GatewayError } from '../errors/error-catalogue';
import {
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';

/** Per-record failure as Confluent reports it inside a v2 produce response. */
export interface RecordError {
  readonly error_code: number;
  readonly error: string;
  /** The broker said the topic or partition is unknown: cached metadata is out of date. */
  readonly staleMetadata: boolean;
}

/** What one walk down a kafkajs error's cause chain finds. */
interface Inspection {
  /** The innermost Kafka protocol error's type (e.g. `UNKNOWN_TOPIC_OR_PARTITION`). */
  readonly type: string | undefined;
  /** The innermost protocol error's message (kafkajs wrappers prefix their own text). */
  readonly protocolMessage: string | undefined;
  /** No connection to a broker could be made or kept. */
  readonly connectionFailure: boolean;
}

/** How deep a cause chain is followed: kafkajs nests at most a retry wrapper and an aggregate. */
const MAX_CAUSE_DEPTH = 5;

/**
 * Walks a kafkajs error once. kafkajs wraps the last protocol error of a retry loop
 * (`originalError`), errors may carry a `cause`, and admin calls that act on several resources
 * (createTopics, deleteTopics) throw an aggregate of per-resource protocol errors (`errors`).
 */
function inspect(err: unknown): Inspection {
  let type: string | undefined;
  let protocolMessage: string | undefined;
  let connectionFailure = false;
  let e: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && e !== null && typeof e === 'object'; depth++) {
    const o = e as {
      type?: unknown;
      message?: unknown;
      originalError?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (!connectionFailure && depth < 3) {
      connectionFailure =
        e instanceof KafkaJSConnectionError ||
        e instanceof KafkaJSBrokerNotFound ||
        (e instanceof KafkaJSError && /disconnected|connection|ECONNREFUSED/i.test(e.message));
    }
    if (e instanceof KafkaJSProtocolError || typeof o.type === 'string') {
      type = typeof o.type === 'string' ? o.type : undefined;
      protocolMessage = typeof o.message === 'string' ? o.message : undefined;
      break;
    }
    e =
      o.originalError ??
      o.cause ??
      (Array.isArray(o.errors) ? (o.errors[0] as unknown) : undefined);
  }
  return { type, protocolMessage, connectionFailure };
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
const UNKNOWN_TOPIC = 'UNKNOWN_TOPIC_OR_PARTITION';

/** Maps a kafkajs failure of a whole request to the Confluent error catalogue. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const { type, protocolMessage, connectionFailure } = inspect(err);
  const message = err instanceof Error ? err.message : String(err);
  const detail = protocolMessage ?? message;
  if (type === UNKNOWN_TOPIC) {
    return new GatewayError(
      'unknown_topic_or_partition',
      'This server does not host this topic-partition.',
      { cause: err, staleMetadata: true },
    );
  }
  if (type !== undefined && BAD_REQUEST.has(type)) {
    return new GatewayError('kafka_bad_request', detail, { cause: err });
  }
  if (
    err instanceof KafkaJSSASLAuthenticationError ||
    (type !== undefined && AUTHENTICATION.has(type))
  ) {
    // the gateway's own credentials were refused: an operator problem the client can only wait out
    return new GatewayError(
      'broker_not_available',
      "Kafka is not available: it refused the gateway's credentials",
      { retriable: true, retryAfterSeconds: 1, cause: err },
    );
  }
  if (type === 'THROTTLING_QUOTA_EXCEEDED') {
    return new GatewayError('kafka_throttled', detail, {
      retriable: true,
      retryAfterSeconds: 1,
      cause: err,
    });
  }
  if (type === 'GROUP_AUTHORIZATION_FAILED' || (type !== undefined && AUTHORIZATION.has(type))) {
    return new GatewayError('kafka_authorization_failed', detail, { cause: err });
  }
  if (connectionFailure) {
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

/**
 * Maps a failure of a client that authenticates as the caller (principal propagation): Kafka
 * refusing the caller's credentials is the caller's 401/40101, not the gateway's outage (503);
 * everything else maps as `toGatewayError`, so an ACL denial is 403/40301.
 *
 * `bearerConnect`: the failure is a bearer caller's connection attempt while the gateway's own
 * connection is up. kafkajs 2.2.4 ignores the broker's OAUTHBEARER error challenge and the broker
 * then closes the connection, so a refused token surfaces only as a closed connection (see
 * infra/README.md); that is answered 401 too.
 */
export function toCallerError(err: unknown, bearerConnect = false): GatewayError {
  if (err instanceof GatewayError) return err;
  if (isAuthenticationFailure(err) || (bearerConnect && inspect(err).connectionFailure)) {
    return new GatewayError('kafka_authentication_failed', CALLER_REFUSED, { cause: err });
  }
  return toGatewayError(err);
}

const CALLER_REFUSED = "Kafka refused the caller's credentials";

/** Kafka refused a client's SASL login (wrong password, expired or forged token). */
export function isAuthenticationFailure(err: unknown): boolean {
  if (err instanceof GatewayError) return err.code === 'kafka_authentication_failed';
  if (err instanceof KafkaJSSASLAuthenticationError) return true;
  const { type } = inspect(err);
  return type !== undefined && AUTHENTICATION.has(type);
}

/** Kafka refused an operation by its ACLs (topic, group, cluster or transactional id). */
export function isAuthorizationFailure(err: unknown): boolean {
  if (err instanceof GatewayError) return err.code === 'kafka_authorization_failed';
  const { type } = inspect(err);
  return type === 'GROUP_AUTHORIZATION_FAILED' || (type !== undefined && AUTHORIZATION.has(type));
}

const RECORD_CODES = {
  authentication: catalogueEntry('kafka_authentication_failed').errorCode,
  authorization: catalogueEntry('kafka_authorization_failed').errorCode,
  retriable: catalogueEntry('kafka_retriable_error').errorCode,
  fatal: catalogueEntry('kafka_error').errorCode,
};

/** Maps a kafkajs failure of one record (or its batch) to Confluent's per-record codes. */
export function toRecordError(err: unknown): RecordError {
  const error = err instanceof Error ? err.message : String(err);
  if (err instanceof GatewayError) {
    const denial =
      err.code === 'kafka_authentication_failed' || err.code === 'kafka_authorization_failed';
    return {
      error_code: denial
        ? catalogueEntry(err.code).errorCode
        : err.retriable
          ? RECORD_CODES.retriable
          : RECORD_CODES.fatal,
      error,
      staleMetadata: err.staleMetadata,
    };
  }
  const { type, connectionFailure } = inspect(err);
  const staleMetadata = type === UNKNOWN_TOPIC;
  if (type !== undefined && AUTHENTICATION.has(type))
    return { error_code: RECORD_CODES.authentication, error, staleMetadata };
  if (type !== undefined && AUTHORIZATION.has(type))
    return { error_code: RECORD_CODES.authorization, error, staleMetadata };
  const retriable = (err instanceof KafkaJSError && err.retriable) || connectionFailure;
  return {
    error_code: retriable ? RECORD_CODES.retriable : RECORD_CODES.fatal,
    error,
    staleMetadata,
  };
}

/**
 * Whether a kafkajs error (or one it wraps) is UNKNOWN_TOPIC_OR_PARTITION. kafkajs keeps every
 * topic a client used in all its later metadata requests, so after a topic is deleted this is
 * what every call of that client fails with (kafkajs#1146, #1622) until the client is replaced.
 */
export function isUnknownTopic(err: unknown): boolean {
  if (err instanceof GatewayError) return err.staleMetadata;
  return inspect(err).type === UNKNOWN_TOPIC;
}
