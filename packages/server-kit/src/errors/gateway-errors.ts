import { GatewayError } from './error-catalogue';

/**
 * Factories of the errors raised in many places, so each message, code and status is written
 * once (Confluent's own `Errors.*Exception()` helpers) and never retyped at a throw site.
 */
export const Errors = {
  /** 401/40101. One message for every failure, so a refusal never says which part was wrong. */
  unauthenticated: (): GatewayError =>
    new GatewayError('unauthenticated', 'Authentication failed: missing or invalid credentials.'),

  /** 403/40301: the caller may not perform `operation` on `resource` (nothing was done). */
  forbidden: (operation: string, resource: string): GatewayError =>
    new GatewayError('forbidden', `Not authorized to ${operation} ${resource}.`),

  /** 429/429 with Retry-After, as Confluent's rate limiting. */
  rateLimited: (retryAfterSeconds: number): GatewayError =>
    new GatewayError('rate_limited', 'Request rate limit exceeded', {
      retriable: true,
      retryAfterSeconds,
    }),

  topicNotFound: (topic: string): GatewayError =>
    new GatewayError('topic_not_found', `Topic ${topic} not found.`),

  partitionNotFound: (): GatewayError =>
    new GatewayError('partition_not_found', 'Partition not found.'),

  /** Confluent's UnknownTopicOrPartition mapping (404/40403). */
  unknownTopicOrPartition: (): GatewayError =>
    new GatewayError(
      'unknown_topic_or_partition',
      'This server does not host this topic-partition.',
    ),

  instanceNotFound: (): GatewayError =>
    new GatewayError('consumer_instance_not_found', 'Consumer instance not found.'),

  instanceExists: (): GatewayError =>
    new GatewayError(
      'consumer_instance_exists',
      'Consumer with specified consumer ID already exists in the specified consumer group.',
    ),

  noAssignment: (topic: string, partition: number): GatewayError =>
    new GatewayError(
      'illegal_consumer_state',
      `Illegal state: No current assignment for partition ${topic}-${partition}`,
    ),

  noSubscription: (): GatewayError =>
    new GatewayError(
      'illegal_consumer_state',
      'Illegal state: the consumer has no subscription or assignment',
    ),

  subscriptionsExclusive: (): GatewayError =>
    new GatewayError(
      'illegal_consumer_state',
      'Illegal state: Subscription to topics, partitions and pattern are mutually exclusive',
    ),

  /** 409/40903: a records stream (SSE) of this instance is open already; one at a time. */
  streamAlreadyOpen: (): GatewayError =>
    new GatewayError(
      'illegal_consumer_state',
      'Illegal state: A records stream of this consumer instance is already open',
    ),

  /** 400/400: a Last-Event-ID that is not `topic:partition:offset`. */
  invalidLastEventId: (): GatewayError =>
    new GatewayError(
      'invalid_request',
      'Last-Event-ID must be topic:partition:offset as sent in the event ids of a records stream',
    ),

  /** Kafka cannot be reached: a retriable 503 the client may retry after a second. */
  kafkaUnavailable: (): GatewayError =>
    new GatewayError('broker_not_available', 'Kafka is not available', {
      retriable: true,
      retryAfterSeconds: 1,
    }),

  ownerUnavailable: (): GatewayError =>
    new GatewayError(
      'routing_unavailable',
      'The replica owning this consumer instance did not answer',
      { retriable: true, retryAfterSeconds: 1 },
    ),
} as const;
