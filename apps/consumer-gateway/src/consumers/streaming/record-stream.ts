import { toErrorResponse } from '@kafka-gateway/server-kit';
import type { RecordView } from '../consumer-instance';
import { JsonBufferWriter } from '@kafka-gateway/codec';
import { TopicNames, writeRecord } from '../records.renderer';
import { eventId } from './last-event-id';

/** What the stream loop needs of an HTTP response (a ServerResponse; a fake in unit tests). */
export interface EventSink {
  /** True once the connection is gone (a client that left before the loop started). */
  readonly closed: boolean;
  write(chunk: string | Buffer): boolean;
  end(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  removeListener(event: 'drain' | 'close', listener: () => void): unknown;
}

/** The instance as the stream loop sees it. */
export interface StreamSource {
  /** One records fetch through the instance's own fetch path (checks, decoding, positions). */
  poll(timeoutMs: number, maxBytes: number): Promise<RecordView[]>;
  /**
   * Puts fetched records that were never written back: the next fetch starts at the first of
   * them on each partition (the client disconnected between the fetch and the write).
   */
  rewind(records: readonly RecordView[]): void;
}

export interface StreamOptions {
  /** A comment line after this long without an event. */
  readonly heartbeatMs: number;
  /** Longest wait of one fetch (the loop looks at the heartbeat between fetches). */
  readonly pollTimeoutMs: number;
  /** Most key/value bytes one fetch takes: what the stream holds beyond the socket's buffer. */
  readonly maxBytes: number;
  readonly now?: () => number;
  /** Called after each write of events (for the metrics). */
  readonly onEvents?: (count: number) => void;
  /** Called with an error that ended the stream (after its `error` event was written). */
  readonly onError?: (err: unknown, incidentId: string | undefined) => void;
}

/**
 * One SSE event per record: `id` is `topic:partition:offset`, `data` one element of the JSON
 * array a records fetch returns (the same renderer, so both forms agree byte for byte).
 */
export function renderEvents(records: readonly RecordView[]): Buffer {
  const w = new JsonBufferWriter(records.length * EVENT_BYTES_HINT);
  const topics = new TopicNames();
  for (const r of records) {
    // the renderer writes JSON without raw newlines, so one `data:` line holds the record
    w.text(`id: ${eventId(r.topic, r.partition, r.offset)}\ndata: `);
    writeRecord(w, r, topics);
    w.ascii('\n\n');
  }
  return w.finish();
}

/** A first guess of one event's bytes (the writer grows past it). */
const EVENT_BYTES_HINT = 256;

export const HEARTBEAT = ': heartbeat\n\n';

/**
 * Streams records until the client goes away or a fetch fails. Back-pressure: when a write is
 * not taken whole by the socket (`write` answers false) nothing more is fetched until 'drain',
 * so at most one fetch (`maxBytes`) waits beyond the socket's own buffer. A failed fetch ends
 * the stream with an `error` event holding the Confluent error body.
 */
export async function runRecordStream(
  source: StreamSource,
  sink: EventSink,
  options: StreamOptions,
): Promise<void> {
  const now = options.now ?? Date.now;
  let closed = sink.closed;
  const onClose = (): void => {
    closed = true;
    wakeDrain?.();
  };
  let wakeDrain: (() => void) | undefined;
  sink.once('close', onClose);
  let lastWrite = now();
  try {
    while (!closed) {
      const waitMs = Math.max(0, Math.min(options.pollTimeoutMs, options.heartbeatMs));
      let records: RecordView[];
      try {
        records = await source.poll(waitMs, options.maxBytes);
      } catch (err) {
        if (!closed) {
          const answer = toErrorResponse(err);
          sink.write(`event: error\ndata: ${JSON.stringify(answer.body)}\n\n`);
          options.onError?.(err, answer.incidentId);
          sink.end();
        }
        return;
      }
      if (closed) {
        if (records.length > 0) source.rewind(records);
        return;
      }
      let flushed = true;
      if (records.length > 0) {
        flushed = sink.write(renderEvents(records));
        lastWrite = now();
        options.onEvents?.(records.length);
      } else if (now() - lastWrite >= options.heartbeatMs) {
        flushed = sink.write(HEARTBEAT);
        lastWrite = now();
      }
      if (!flushed && !closed) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            sink.removeListener('drain', done);
            wakeDrain = undefined;
            resolve();
          };
          wakeDrain = done;
          sink.once('drain', done);
        });
      }
    }
  } finally {
    sink.removeListener('close', onClose);
  }
}
