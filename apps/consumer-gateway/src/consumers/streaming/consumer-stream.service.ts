import { Inject, Injectable } from '@nestjs/common';
import { type Caller, Errors, LOGGER } from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../../config/consumer.config';
import type { ConsumerInstance, RecordView } from '../consumer-instance';
import { ConsumerMetrics } from '../consumer-metrics';
import { ConsumersService } from '../consumers.service';
import { parseLastEventId } from './last-event-id';
import { type EventSink, runRecordStream } from './record-stream';

/**
 * Key/value bytes one fetch of a stream takes: small enough that what waits for a slow client
 * beyond its socket buffer stays bounded, large enough to keep the stream at fetch speed.
 */
const STREAM_FETCH_MAX_BYTES = 1024 * 1024;
/** EventSource reconnects after this long when the stream ends (the `retry` field). */
const RECONNECT_AFTER_MS = 1000;

/** The HTTP response a stream is written to (an Express/Node ServerResponse). */
export interface StreamResponse extends EventSink {
  writeHead(status: number, headers: Record<string, string>): unknown;
}

/**
 * `GET .../records` with `Accept: text/event-stream`: the instance's records as Server-Sent
 * Events, fetched through the instance's own fetch path (so positions, auto-commit and commits
 * without a body cover what was sent, as for records fetches). One stream per instance at a
 * time; the instance is kept alive (touched) while its stream is open and survives its close.
 */
@Injectable()
export class ConsumerStreamService {
  private readonly open = new Set<ConsumerInstance>();

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    private readonly consumers: ConsumersService,
    private readonly metrics: ConsumerMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Resolves when the stream ended. Errors before the first byte are thrown (JSON answers). */
  async stream(
    group: string,
    name: string,
    lastEventId: string | string[] | undefined,
    caller: Caller,
    res: StreamResponse,
  ): Promise<void> {
    const { instance, authorize } = this.consumers.streamSource(group, name, caller);
    const resume = parseLastEventId(lastEventId);
    if (this.open.has(instance)) throw Errors.streamAlreadyOpen();
    // resume right after the last record the client received (throws when not assigned here)
    if (resume !== undefined) {
      instance.seek([{ tp: resume.tp, offset: (resume.offset + 1n).toString() }]);
    }
    this.open.add(instance);
    this.metrics.streams.inc();
    // a stream waiting on a slow client fetches nothing for a while: it still counts as use
    const keepAlive = setInterval(() => instance.touch(), this.config.consumers.streamHeartbeatMs);
    const format = instance.settings.format;
    try {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache',
        // nginx (and proxies that honour it) pass the events on at once instead of buffering
        'X-Accel-Buffering': 'no',
      });
      // the first bytes also send the headers: the client sees the stream open at once
      res.write(`retry: ${RECONNECT_AFTER_MS}\n\n`);
      await runRecordStream(
        {
          poll: (timeoutMs, maxBytes) => {
            authorize();
            return instance.poll(timeoutMs, maxBytes);
          },
          rewind: (records) => rewind(instance, records),
        },
        res,
        {
          heartbeatMs: this.config.consumers.streamHeartbeatMs,
          pollTimeoutMs: instance.settings.requestTimeoutMs,
          maxBytes: STREAM_FETCH_MAX_BYTES,
          onEvents: (count) => this.metrics.streamEvents.inc({ format }, count),
          onError: (err, incidentId) =>
            this.logger.warn({ err, group, instance: name, incidentId }, 'records stream failed'),
        },
      );
    } finally {
      clearInterval(keepAlive);
      this.open.delete(instance);
      this.metrics.streams.dec();
      instance.touch();
    }
  }
}

/** Seeks each partition back to the first record fetched but never written. */
function rewind(instance: ConsumerInstance, records: readonly RecordView[]): void {
  const first = new Map<string, { tp: { topic: string; partition: number }; offset: string }>();
  for (const r of records) {
    const key = `${r.topic}\u0000${r.partition}`;
    if (!first.has(key)) {
      first.set(key, { tp: { topic: r.topic, partition: r.partition }, offset: String(r.offset) });
    }
  }
  try {
    instance.seek([...first.values()]);
  } catch {
    // the partition was revoked meanwhile: its new owner starts from the committed offset
  }
}
