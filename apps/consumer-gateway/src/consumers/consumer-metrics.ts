import { Injectable } from '@nestjs/common';
import { MetricsService } from '@kafka-gateway/server-kit';

/**
 * Consumer metrics; labels are formats and topics (at most METRICS_TOPIC_LABEL_LIMIT, `_other`
 * beyond), never group or instance names.
 */
@Injectable()
export class ConsumerMetrics {
  readonly recordsFetched;
  readonly bytesFetched;
  readonly pollDuration;
  readonly rebalances;
  readonly commitErrors;
  readonly poisonRecords;
  readonly deadLetterFailures;
  readonly streams;
  readonly streamEvents;

  constructor(readonly metrics: MetricsService) {
    this.recordsFetched = metrics.counter(
      'kafka_gateway_consumer_records_total',
      'Records returned by records fetches',
      ['format', 'topic'],
    );
    this.bytesFetched = metrics.counter(
      'kafka_gateway_consumer_bytes_total',
      'Key and value bytes returned by records fetches',
      ['format', 'topic'],
    );
    this.pollDuration = metrics.histogram(
      'kafka_gateway_consumer_fetch_duration_seconds',
      'Records fetch (poll) duration',
      ['format'],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.rebalances = metrics.counter(
      'kafka_gateway_consumer_rebalances_total',
      'Group (re)assignments seen by consumer instances',
      [],
    );
    this.commitErrors = metrics.counter(
      'kafka_gateway_consumer_commit_errors_total',
      'Failed offset commits',
      [],
    );
    this.poisonRecords = metrics.counter(
      'kafka_gateway_consumer_poison_records_total',
      'Records that could not be decoded, by the poison policy applied (fail counts each failed fetch)',
      ['policy'],
    );
    this.deadLetterFailures = metrics.counter(
      'kafka_gateway_consumer_dead_letter_failures_total',
      'Copies to a dead-letter topic that failed (the record stayed in place)',
      [],
    );
    this.streams = metrics.gauge(
      'kafka_gateway_consumer_streams',
      'Records streams (Server-Sent Events) open on this replica',
      [],
    );
    this.streamEvents = metrics.counter(
      'kafka_gateway_consumer_stream_events_total',
      'Records sent as Server-Sent Events',
      ['format'],
    );
  }
}
