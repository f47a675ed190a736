import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  JSON_LONG_INTEGER,
  JSON_TOO_DEEP,
  parseExactJson,
  scanJsonText,
} from '@kafka-gateway/codec';
import { type ByteMeter, GatewayError } from '@kafka-gateway/server-kit';
import { JsonObjectSplitter } from './json-stream-splitter';

/** One line of the response: `{"error_code":200,...}` or `{"error_code":...,"message":...}`. */
export type ResultEntry = { error_code: number } & Record<string, unknown>;

/**
 * What the stream needs from the produce service. `prepare` validates and serializes one record
 * (any failure is that record's own); `submit` hands prepared records, in input order, to the
 * batching producer and answers each record's result line once Kafka acknowledged it.
 */
export interface RecordPipeline<P> {
  prepare(record: unknown, receivedAt: number): Promise<P>;
  submit(prepared: readonly P[]): Promise<ResultEntry[]>;
  failure(err: unknown): ResultEntry;
}

export interface StreamLimits {
  /** Records read but not yet answered; reading pauses at this many (plus one chunk). */
  readonly maxInFlight: number;
  readonly maxRecordBytes: number;
  /** Records nested deeper are refused before they are parsed. */
  readonly maxJsonDepth: number;
  /** `latin1` for an ISO-8859-1 body, else `utf8`. */
  readonly encoding: BufferEncoding;
  /** Set when a produce-bytes quota applies: each record's bytes are charged before it is parsed. */
  readonly meter?: ByteMeter | undefined;
}

/**
 * One streaming v3 produce request: reads concatenated JSON records as they arrive and writes
 * one result line per record, in input order, as soon as it and all records before it are
 * answered. Full duplex: results flow while the client is still sending.
 *
 * Ordering: records are serialized concurrently (a schema lookup may take a while) but handed
 * to the producer strictly in input order, so records of one partition land in Kafka in the
 * order they were sent. Records handed over in the same tick form one submission, which the
 * shared batcher coalesces with other requests' records.
 *
 * Backpressure: reading pauses while `maxInFlight` records wait for their results, and while
 * the client is not reading its results (the socket buffer is full), so a fast sender cannot
 * make the gateway buffer without bound.
 */
export class StreamingProduce<P> {
  private readonly splitter: JsonObjectSplitter;
  private submitTail: Promise<void> = Promise.resolve();
  private writeTail: Promise<void> = Promise.resolve();
  private pending: { prepared: P; resolve(entry: ResultEntry): void }[] = [];
  private flushScheduled = false;
  private records = 0;
  private inFlight = 0;
  private inputDone = false;
  private finished = false;
  private gone = false;
  private paused = false;
  private writeBlocked = false;
  private settle!: { resolve(): void; reject(err: unknown): void };

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly pipeline: RecordPipeline<P>,
    private readonly limits: StreamLimits,
  ) {
    this.splitter = new JsonObjectSplitter(limits.maxRecordBytes);
  }

  /** Resolves when the response is complete (or the client left); rejects only before any output. */
  run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.req.on('data', (chunk: Buffer) => this.onData(chunk));
      this.req.on('end', () => this.onEnd());
      this.req.on('error', (err) => this.onClientGone(err));
      this.res.on('close', () => {
        if (!this.finished) this.onClientGone(undefined);
      });
    });
  }

  private onData(chunk: Buffer): void {
    if (this.inputDone) return;
    const { objects, error } = this.splitter.push(chunk);
    for (const o of objects) {
      this.accept(o);
      if (this.inputDone) return;
    }
    if (error !== undefined) this.fail(error);
    this.throttle();
  }

  private onEnd(): void {
    if (this.inputDone) return;
    const error = this.splitter.end();
    if (error !== undefined) {
      this.fail(error);
      return;
    }
    if (this.records === 0) {
      this.finished = true;
      this.settle.reject(
        new GatewayError(
          'payload_error',
          'Payload error. Request body is empty. Data is required.',
        ),
      );
      return;
    }
    this.inputDone = true;
    this.maybeFinish();
  }

  private onClientGone(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.gone = true;
    this.inputDone = true;
    if (!this.res.headersSent && err !== undefined) this.settle.reject(err);
    else this.settle.resolve();
  }

  private accept(text: Buffer): void {
    this.records++;
    this.startResponse();
    const refusal = this.limits.meter?.(text.length);
    if (refusal !== undefined) {
      // over the produce-bytes quota: this record gets a 429 line and is not produced; later
      // records are admitted again once the quota allows (each line answers its own record)
      this.output(Promise.resolve(this.pipeline.failure(refusal)));
      return;
    }
    let parsed: unknown;
    // one pass: too deep, and whether an integer JSON.parse would round may be in the record
    const scan = scanJsonText(text, this.limits.maxJsonDepth);
    if ((scan & JSON_TOO_DEEP) !== 0) {
      // refused before JSON.parse and every recursive step after it (HTTP_MAX_JSON_DEPTH)
      this.fail(`Error processing message: JSON nested deeper than ${this.limits.maxJsonDepth}`);
      return;
    }
    try {
      const json = text.toString(this.limits.encoding);
      parsed = JSON.parse(json);
      // JSON.parse accepted it (its errors are the ones reported); integers beyond 2^53 exact
      if ((scan & JSON_LONG_INTEGER) !== 0) parsed = parseExactJson(json);
    } catch (err) {
      // Malformed JSON: nothing after it can be trusted, so the stream ends here (Confluent).
      this.fail(`Error processing message: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const prepared = this.pipeline.prepare(parsed, Date.now());
    // Its failure is handled once the records before it are handed over; until then it must
    // not count as an unhandled rejection.
    prepared.catch(() => undefined);
    // Hand over in input order; wrap the result so awaiting the hand-over never awaits the ack.
    const handedOver = this.submitTail.then(async () => {
      try {
        const p = await prepared;
        return { result: this.enqueue(p) };
      } catch (err) {
        return { result: Promise.resolve(this.pipeline.failure(err)) };
      }
    });
    this.submitTail = handedOver.then(() => undefined);
    this.output(handedOver.then((h) => h.result));
  }

  /** The stream cannot go on: one 400 line after the results so far, then the end. */
  private fail(message: string): void {
    if (this.inputDone) return;
    this.inputDone = true;
    this.startResponse();
    this.output(Promise.resolve({ error_code: 400, message: `Bad Request: ${message}` }));
    // Discard whatever the client still sends; the response ends once pending results are out.
    this.req.resume();
    this.maybeFinish();
  }

  private enqueue(prepared: P): Promise<ResultEntry> {
    return new Promise<ResultEntry>((resolve) => {
      this.pending.push({ prepared, resolve });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.pipeline.submit(batch.map((b) => b.prepared)).then(
      (entries) =>
        batch.forEach((b, i) => b.resolve(entries[i] ?? this.pipeline.failure(undefined))),
      (err: unknown) => {
        const entry = this.pipeline.failure(err);
        for (const b of batch) b.resolve(entry);
      },
    );
  }

  private output(result: Promise<ResultEntry>): void {
    this.inFlight++;
    this.writeTail = this.writeTail.then(() => result).then((entry) => this.write(entry));
  }

  private write(entry: ResultEntry): void {
    this.inFlight--;
    if (!this.gone) {
      const ok = this.res.write(`${JSON.stringify(entry)}\r\n`);
      if (!ok && !this.writeBlocked) {
        this.writeBlocked = true;
        this.res.once('drain', () => {
          this.writeBlocked = false;
          this.throttle();
        });
      }
    }
    this.throttle();
    this.maybeFinish();
  }

  private throttle(): void {
    if (this.inputDone) {
      if (this.paused) {
        this.paused = false;
        this.req.resume();
      }
      return;
    }
    const saturated = this.inFlight >= this.limits.maxInFlight || this.writeBlocked;
    if (saturated && !this.paused) {
      this.paused = true;
      this.req.pause();
    } else if (
      this.paused &&
      !this.writeBlocked &&
      this.inFlight <= Math.floor(this.limits.maxInFlight / 2)
    ) {
      this.paused = false;
      this.req.resume();
    }
  }

  private startResponse(): void {
    if (this.res.headersSent) return;
    this.res.writeHead(200, { 'Content-Type': 'application/json' });
    this.res.flushHeaders();
  }

  private maybeFinish(): void {
    if (this.finished || !this.inputDone || this.inFlight > 0) return;
    this.finished = true;
    this.res.end();
    this.settle.resolve();
  }
}
