import { GatewayError } from '@kafka-gateway/server-kit';

export interface OutgoingRecord {
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Record headers by name (a name may repeat). */
  readonly headers?: Readonly<Record<string, Buffer[]>>;
  /** CreateTime in epoch milliseconds as a decimal string; unset = when the batch is built. */
  readonly timestamp?: string;
}

/** The outcome of one record: where it was written, or why it was not. */
export type RecordOutcome =
  { readonly partition: number; readonly offset: number } | { readonly error: unknown };

export interface TopicMessages {
  readonly topic: string;
  readonly messages: OutgoingRecord[];
}

export interface PartitionAck {
  readonly topicName: string;
  readonly partition: number;
  readonly baseOffset?: string;
}

/** Sends one coalesced batch (acks=all) and answers the base offset of every topic-partition. */
export type SendBatch = (batch: TopicMessages[]) => Promise<PartitionAck[]>;

export interface BatcherOptions {
  /** How long an idle batcher waits for more records before sending (0 = the same tick only). */
  readonly lingerMs: number;
  /** Most records in one send. */
  readonly maxBatchRecords: number;
  /** Most bytes in one send; stays below the broker's message.max.bytes for one partition. */
  readonly maxBatchBytes: number;
  /** Bytes accepted but not yet acknowledged, beyond which new requests get 429. */
  readonly maxQueuedBytes: number;
  /**
   * The pending-bytes account `maxQueuedBytes` bounds, shared by batchers that draw on one
   * budget (the per-caller producers of principal propagation); a batcher's own by default.
   */
  readonly budget?: PendingBudget;
}

/** Bytes accepted and not yet acknowledged, summed over the batchers sharing it. */
export class PendingBudget {
  bytes = 0;
}

interface Entry {
  readonly topic: string;
  readonly record: OutgoingRecord;
  readonly bytes: number;
  readonly request: Pending;
  readonly index: number;
}

interface Pending {
  readonly outcomes: (RecordOutcome | undefined)[];
  remaining: number;
  cancelled: boolean;
  resolve(outcomes: RecordOutcome[]): void;
}

export interface Submission {
  readonly outcomes: Promise<RecordOutcome[]>;
  /** Drops this request's records that have not been handed to Kafka yet (after a timeout). */
  cancel(reason: unknown): void;
}

// Per-record framing overhead in a v2 record batch, roughly (varints, attributes, headers count).
const RECORD_OVERHEAD = 24;

/**
 * Automatic micro-batching across HTTP requests. Records from every concurrent request join one
 * queue; one coalesced send is in flight at a time (the idempotent producer allows one), and
 * whatever arrives meanwhile forms the next send, so batches grow exactly when load does. Each
 * request still learns the exact partition and offset of each of its records: records of one
 * topic-partition in one send get consecutive offsets from the batch's base offset, in queue
 * order. A failed send fails only the records that were in it.
 */
export class ProduceBatcher {
  private queue: Entry[] = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private sending = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly budget: PendingBudget;

  constructor(
    private readonly send: SendBatch,
    private readonly options: BatcherOptions,
    private readonly onBatch: (records: number, bytes: number) => void = () => undefined,
  ) {
    this.budget = options.budget ?? new PendingBudget();
  }

  /** Bytes waiting or in flight in this batcher. */
  pendingBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  submit(topic: string, records: readonly OutgoingRecord[]): Submission {
    let bytes = 0;
    for (const r of records) bytes += recordBytes(r);
    // One request alone may always proceed when nothing else is pending, however large.
    const pending = this.budget.bytes;
    if (pending > 0 && pending + bytes > this.options.maxQueuedBytes) {
      throw new GatewayError('overloaded', 'Too many records waiting for Kafka; retry shortly', {
        retriable: true,
        retryAfterSeconds: 1,
      });
    }
    let resolve!: (outcomes: RecordOutcome[]) => void;
    const outcomes = new Promise<RecordOutcome[]>((r) => (resolve = r));
    const request: Pending = {
      outcomes: new Array<RecordOutcome | undefined>(records.length),
      remaining: records.length,
      cancelled: false,
      resolve,
    };
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const size = recordBytes(record);
      this.queue.push({ topic, record, bytes: size, request, index: i });
    }
    this.queuedBytes += bytes;
    this.budget.bytes += bytes;
    if (records.length === 0) resolve([]);
    this.schedule();
    return {
      outcomes,
      cancel: (reason: unknown) => this.cancel(request, reason),
    };
  }

  /**
   * Queued records of the request leave the queue and are never sent; records already in flight
   * are reported with `reason` too (their real outcome is unknown and arrives too late).
   */
  private cancel(request: Pending, reason: unknown): void {
    if (request.cancelled || request.remaining === 0) return;
    request.cancelled = true;
    const kept: Entry[] = [];
    for (const e of this.queue) {
      if (e.request === request) {
        this.queuedBytes -= e.bytes;
        this.budget.bytes -= e.bytes;
      } else kept.push(e);
    }
    this.queue = kept;
    for (let i = 0; i < request.outcomes.length; i++) {
      if (request.outcomes[i] === undefined) {
        request.outcomes[i] = { error: reason };
        request.remaining--;
      }
    }
    request.resolve(request.outcomes as RecordOutcome[]);
  }

  private schedule(): void {
    if (this.sending || this.queue.length === 0) return;
    if (
      this.queue.length >= this.options.maxBatchRecords ||
      this.queuedBytes >= this.options.maxBatchBytes
    ) {
      this.clearTimers();
      void this.flush();
      return;
    }
    if (this.timer !== undefined || this.immediate !== undefined) return;
    if (this.options.lingerMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.options.lingerMs);
    } else {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        void this.flush();
      });
    }
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private async flush(): Promise<void> {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    // Take whole records up to the bounds (at least one).
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.options.maxBatchRecords) {
      const next = this.queue[count]!.bytes;
      if (count > 0 && bytes + next > this.options.maxBatchBytes) break;
      bytes += next;
      count++;
    }
    const batch = this.queue.slice(0, count);
    this.queue = this.queue.slice(count);
    this.queuedBytes -= bytes;
    this.inFlightBytes += bytes;

    // Group by topic and partition, keeping queue order inside each partition.
    const byTopic = new Map<string, TopicMessages>();
    const positions = new Array<number>(batch.length);
    const perPartition = new Map<string, number>();
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      let tm = byTopic.get(e.topic);
      if (tm === undefined) {
        tm = { topic: e.topic, messages: [] };
        byTopic.set(e.topic, tm);
      }
      tm.messages.push(e.record);
      const key = `${e.topic}\u0000${e.record.partition}`;
      const n = perPartition.get(key) ?? 0;
      positions[i] = n;
      perPartition.set(key, n + 1);
    }
    this.onBatch(batch.length, bytes);
    try {
      const acks = await this.send([...byTopic.values()]);
      const base = new Map<string, bigint>();
      for (const a of acks) {
        if (a.baseOffset !== undefined)
          base.set(`${a.topicName}\u0000${a.partition}`, BigInt(a.baseOffset));
      }
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        const b = base.get(`${e.topic}\u0000${e.record.partition}`);
        settle(
          e,
          b === undefined || b < 0n
            ? {
                error: new GatewayError(
                  'kafka_error',
                  'Kafka returned no offset for this partition',
                ),
              }
            : { partition: e.record.partition, offset: Number(b + BigInt(positions[i]!)) },
        );
      }
    } catch (err) {
      for (const e of batch) settle(e, { error: err });
    } finally {
      this.inFlightBytes -= bytes;
      this.budget.bytes -= bytes;
      this.sending = false;
    }
    // What arrived while this batch was in flight goes out at once: it has waited already.
    if (this.queue.length > 0) void this.flush();
  }
}

function settle(e: Entry, outcome: RecordOutcome): void {
  const r = e.request;
  if (r.outcomes[e.index] !== undefined) return;
  r.outcomes[e.index] = outcome;
  r.remaining--;
  if (r.remaining === 0) r.resolve(r.outcomes as RecordOutcome[]);
}

export function recordBytes(r: OutgoingRecord): number {
  let bytes = (r.key?.length ?? 0) + (r.value?.length ?? 0) + RECORD_OVERHEAD;
  if (r.headers !== undefined) {
    for (const name in r.headers) {
      for (const v of r.headers[name]!) bytes += name.length + v.length + 4;
    }
  }
  return bytes;
}
