import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The prom-client adapter: one registry per process with the default process metrics and the
 * HTTP request histogram. Apps register their own metrics on `registry`. Label values are always
 * from bounded sets (route patterns, status codes, methods), never raw client input.
 */
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Every error answered or reported per record, by Confluent error_code (a bounded set). */
  readonly errors: Counter<'error_code'>;

  /** Topics that have a `topic` label of their own (first come, up to the limit). */
  private readonly labelledTopics = new Set<string>();

  /** `topicLabelLimit`: METRICS_TOPIC_LABEL_LIMIT (default 1000). */
  constructor(
    service: string,
    private readonly topicLabelLimit = DEFAULT_TOPIC_LABEL_LIMIT,
  ) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.httpRequestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.errors = this.counter(
      'kafka_gateway_errors_total',
      'Errors by Confluent error_code (requests and records)',
      ['error_code'],
    );
  }

  /**
   * The `topic` label value of a topic: its name for the first `topicLabelLimit` distinct topics
   * this process counts, `_other` for the rest, so a cluster with many topics cannot grow the
   * number of series without bound.
   */
  topicLabel(topic: string): string {
    if (this.labelledTopics.has(topic)) return topic;
    if (this.labelledTopics.size >= this.topicLabelLimit) return OTHER_TOPICS;
    this.labelledTopics.add(topic);
    return topic;
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** `sample`, when given, sets the gauge's value(s) at every scrape. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    sample?: (gauge: Gauge<L>) => void,
  ): Gauge<L> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(sample === undefined
        ? {}
        : {
            collect(this: Gauge<L>) {
              sample(this);
            },
          }),
    });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /**
   * The value of one sample as a scrape shows it (`name` may carry a histogram's `_count` or
   * `_sum` suffix), matched on the given labels; undefined when no such sample exists.
   */
  async sample(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const body = await this.registry.metrics();
    for (const line of body.split('\n')) {
      const m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (m === null || m[1] !== name) continue;
      const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
    }
    return undefined;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The `topic` label of topics beyond METRICS_TOPIC_LABEL_LIMIT. */
export const OTHER_TOPICS = '_other';
const DEFAULT_TOPIC_LABEL_LIMIT = 1000;

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Bounded label for a request method (a client can send any token as a method). */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}
