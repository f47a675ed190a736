import type {
  ConsumerCrashEvent,
  ConsumerGroupJoinEvent,
  InstrumentationEvent,
  RequestEvent,
  RequestQueueSizeEvent,
  RequestTimeoutEvent,
} from 'kafkajs';
import type { Counter, Histogram } from 'prom-client';
import type { MetricsService } from '../metrics/metrics.service';

/** Which kind of kafkajs client emitted an event (a bounded label). */
export type KafkaClientKind = 'producer' | 'consumer' | 'admin';

/** What every kafkajs client has in common for instrumentation, without its overloads. */
interface Instrumentable {
  readonly events: Record<string, string>;
  on(eventName: string, listener: (event: InstrumentationEvent<unknown>) => void): unknown;
}

const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
const QUEUE_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500];

/**
 * Metrics from kafkajs' instrumentation events, for every client the factory makes. `api` is a
 * Kafka API name (Produce, Fetch, Metadata…: a fixed set), `broker` a broker address (bounded by
 * the cluster). kafkajs has no throttling event: time a request waited in kafkajs' queue
 * (`pendingDuration`, which includes client-side throttling after a broker's throttle_time_ms)
 * is the request_pending histogram.
 */
export class KafkaClientMetrics {
  private readonly requests: Histogram<'client' | 'api'>;
  private readonly pending: Histogram<'client' | 'api'>;
  private readonly timeouts: Counter<'client' | 'api'>;
  private readonly queueSize: Histogram<'client' | 'broker'>;
  private readonly connects: Counter<'client' | 'event'>;
  private readonly groupJoins: Histogram<'client'>;
  private readonly rebalancing: Counter<'client'>;
  private readonly crashes: Counter<'client' | 'restart'>;

  constructor(metrics: MetricsService) {
    this.requests = metrics.histogram(
      'kafka_gateway_kafka_request_duration_seconds',
      'Kafka request round trips (sent → response) by client kind and Kafka API',
      ['client', 'api'],
      DURATION_BUCKETS,
    );
    this.pending = metrics.histogram(
      'kafka_gateway_kafka_request_pending_seconds',
      'Time Kafka requests waited in the client queue before being sent (client-side throttling included)',
      ['client', 'api'],
      DURATION_BUCKETS,
    );
    this.timeouts = metrics.counter(
      'kafka_gateway_kafka_request_timeouts_total',
      'Kafka requests that timed out',
      ['client', 'api'],
    );
    this.queueSize = metrics.histogram(
      'kafka_gateway_kafka_request_queue_size',
      'Requests waiting in a broker connection queue, as reported at each enqueue',
      ['client', 'broker'],
      QUEUE_BUCKETS,
    );
    this.connects = metrics.counter(
      'kafka_gateway_kafka_connection_events_total',
      'kafkajs client connects and disconnects (a renewal or restart counts one of each)',
      ['client', 'event'],
    );
    this.groupJoins = metrics.histogram(
      'kafka_gateway_kafka_group_join_duration_seconds',
      'Consumer group joins (each rebalance ends in one) and how long they took',
      ['client'],
      DURATION_BUCKETS,
    );
    this.rebalancing = metrics.counter(
      'kafka_gateway_kafka_group_rebalancing_total',
      'Rebalances the group coordinator announced to a consumer',
      ['client'],
    );
    this.crashes = metrics.counter(
      'kafka_gateway_kafka_consumer_crashes_total',
      'kafkajs consumer crashes, by whether kafkajs restarts the consumer',
      ['client', 'restart'],
    );
  }

  /** Subscribes to the client's events; listeners go away with the client. */
  instrument<T>(client: T, kind: KafkaClientKind): T {
    const c = client as unknown as Instrumentable;
    const on = <E>(name: string | undefined, listener: (event: E) => void): void => {
      if (name !== undefined)
        c.on(name, listener as (event: InstrumentationEvent<unknown>) => void);
    };
    on<RequestEvent>(c.events['REQUEST'], ({ payload: p }) => {
      this.requests.observe({ client: kind, api: p.apiName }, p.duration / 1000);
      this.pending.observe({ client: kind, api: p.apiName }, p.pendingDuration / 1000);
    });
    on<RequestTimeoutEvent>(c.events['REQUEST_TIMEOUT'], ({ payload: p }) =>
      this.timeouts.inc({ client: kind, api: p.apiName }),
    );
    on<RequestQueueSizeEvent>(c.events['REQUEST_QUEUE_SIZE'], ({ payload: p }) =>
      this.queueSize.observe({ client: kind, broker: p.broker }, p.queueSize),
    );
    on(c.events['CONNECT'], () => this.connects.inc({ client: kind, event: 'connect' }));
    on(c.events['DISCONNECT'], () => this.connects.inc({ client: kind, event: 'disconnect' }));
    on<ConsumerGroupJoinEvent>(c.events['GROUP_JOIN'], ({ payload: p }) =>
      this.groupJoins.observe({ client: kind }, p.duration / 1000),
    );
    on(c.events['REBALANCING'], () => this.rebalancing.inc({ client: kind }));
    on<ConsumerCrashEvent>(c.events['CRASH'], ({ payload: p }) =>
      this.crashes.inc({ client: kind, restart: String(p.restart) }),
    );
    return client;
  }
}
