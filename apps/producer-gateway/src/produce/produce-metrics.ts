import { Injectable } from '@nestjs/common';
import { MetricsService } from '@kafka-gateway/server-kit';
import type { EmbeddedFormat } from '@kafka-gateway/codec';

/**
 * Produce metrics. `topic` is a label only for topics that exist in the cluster (records for an
 * unknown topic are refused before they are counted), and at most METRICS_TOPIC_LABEL_LIMIT of
 * them (`_other` beyond).
 */
@Injectable()
export class ProduceMetrics {
  private readonly records;
  private readonly bytes;
  private readonly duration;

  constructor(private readonly metrics: MetricsService) {
    this.records = metrics.counter(
      'kafka_gateway_produce_records_total',
      'Records acknowledged by Kafka',
      ['topic', 'format'],
    );
    this.bytes = metrics.counter(
      'kafka_gateway_produce_bytes_total',
      'Key and value bytes acknowledged by Kafka',
      ['topic', 'format'],
    );
    this.duration = metrics.histogram(
      'kafka_gateway_produce_duration_seconds',
      'Produce requests from body parsed to Kafka acknowledgement',
      ['format'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
  }

  /** `format`: a v2 embedded format, or `v3` for v3 records produce (a bounded set). */
  produced(
    topic: string,
    format: EmbeddedFormat | 'v3',
    records: number,
    bytes: number,
    seconds: number,
  ): void {
    if (records > 0) {
      const label = this.metrics.topicLabel(topic);
      this.records.inc({ topic: label, format }, records);
      this.bytes.inc({ topic: label, format }, bytes);
    }
    this.duration.observe({ format }, seconds);
  }

  recordFailed(errorCode: number): void {
    this.metrics.errors.inc({ error_code: String(errorCode) });
  }
}
