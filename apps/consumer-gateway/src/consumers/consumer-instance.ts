import type { EmbeddedFormat } from '@kafka-gateway/codec';
import {
  ANONYMOUS,
  catalogueEntry,
  Errors,
  type FetchTrace,
  GatewayError,
  type KafkaCaller,
  type Principal,
  type RecordMetadata,
} from '@kafka-gateway/server-kit';
import type { PoisonPolicy } from './consumer-requests.parser';
import type { RecordDecoder } from './record-decoder';
import type {
  CommitOffset,
  ConsumerEvents,
  ConsumerPort,
  FetchedRecord,
  RecordHeader,
  Subscription,
  TimestampType,
  TopicPartition,
} from '../kafka/consumer-port';

export interface InstanceSettings {
  readonly format: EmbeddedFormat;
  /** Shared, stateless decoder of that format. */
  readonly decoder: RecordDecoder;
  readonly autoCommit: boolean;
  /** Bytes a fetch accumulates before it returns early; -1 = return as soon as records exist. */
  readonly fetchMinBytes: number;
  /** The longest a records fetch waits (Confluent `consumer.request.timeout.ms`). */
  readonly requestTimeoutMs: number;
  /** Records buffered in the gateway beyond this pause fetching from Kafka. */
  readonly maxBufferBytes: number;
  /**
   * Who the instance's Kafka work runs as: its creator under principal propagation, undefined
   * for the gateway's own identity. Fixed at creation.
   */
  readonly kafkaCaller?: KafkaCaller | undefined;
  /** The cluster's topics now (a subscription covers those that exist; see refreshTopics). */
  readonly listTopics: () => Promise<readonly string[]>;
  /** Called on every (re)assignment of the group (counted in the metrics). */
  readonly onRebalance?: () => void;
  /** Called once per topic of a records fetch that returned something. */
  readonly onDelivered?: (topic: string, records: number, bytes: number) => void;
  /** What a fetch does with a record that cannot be decoded; `fail` when unset. */
  readonly poisonPolicy?: PoisonPolicy;
  /**
   * Policy `dead-letter`: copies the record (with the reason) to the dead-letter topic and
   * resolves once Kafka acknowledged it; rejects when it was not written.
   */
  readonly deadLetter?: (record: FetchedRecord, reason: string) => Promise<void>;
  /** Called for every poison record met, with the policy applied. */
  readonly onPoison?: (policy: PoisonPolicy) => void;
  /** `record.metadata`: headers and/or timestamps on every returned record (default: none). */
  readonly recordMetadata?: RecordMetadata;
}

/** Opt-in extras of a returned record (`record.metadata`); absent unless asked for. */
export interface RecordMetadataView {
  headers?: readonly RecordHeader[];
  timestamp?: number;
  timestampType?: TimestampType;
}

/** A record as the v2 records endpoint returns it. */
export interface DecodedRecordView extends RecordMetadataView {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
}

/**
 * Policy `skip`: what a fetch returns in place of a record that cannot be decoded. Told apart
 * from a record by its `error`; the raw bytes are rendered as base64.
 */
export interface SkippedRecordView extends RecordMetadataView {
  topic: string;
  partition: number;
  offset: number;
  error: { error_code: number; message: string };
  keyRaw: Buffer | null;
  valueRaw: Buffer | null;
}

/** One entry of a records fetch: a record, or (policy `skip`) the error that took its place. */
export type RecordView = DecodedRecordView | SkippedRecordView;

const NOT_DECODABLE = catalogueEntry('record_not_decodable').errorCode;

/**
 * The longest a kafkajs delivery over the buffer bound waits for room (see onBatch): short
 * against the session timeout (kafkajs heartbeats between deliveries), long against the time a
 * client that keeps up needs for its next records fetch.
 */
const ROOM_WAIT_MS = 1000;

/** The decode verdict "copy this record to the dead-letter topic first". */
interface DeadLetterVerdict {
  readonly deadLetter: string;
}

/** One fetched batch of a partition; its records before `next` were taken already. */
interface BufferedBatch {
  /** `tpKey` of its partition, made once per batch. */
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly FetchedRecord[];
  next: number;
}

/** The key and value bytes of a record (what `max_bytes` and the buffer bound count). */
const recordBytes = (r: FetchedRecord): number => (r.key?.length ?? 0) + (r.value?.length ?? 0);

/** The position after a record: what a commit of it stores. */
const nextOffset = (r: FetchedRecord): string => (BigInt(r.offset) + 1n).toString();

/** A head record waiting to be copied to the dead-letter topic. */
interface DeadLetterHead {
  readonly batch: BufferedBatch;
  readonly index: number;
  readonly reason: string;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The existing topics a topic or pattern subscription covers, sorted. */
function matching(
  s: Exclude<Subscription, { kind: 'assign' }>,
  existing: readonly string[],
): string[] {
  if (s.kind === 'topics') {
    const present = new Set(existing);
    return [...new Set(s.topics)].filter((t) => present.has(t)).sort();
  }
  return existing.filter((t) => s.pattern.test(t)).sort();
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/**
 * One v2 consumer instance: kafkajs' push model turned into pull. Fetched batches land in a
 * bounded buffer (a partition is paused while the buffer is over its bound); a records request
 * takes from it. Positions advance only as records are returned, commits without a body cover
 * exactly what was returned, and a rebalance drops everything buffered because kafkajs restarts
 * every assigned partition from its committed offset after a rejoin.
 */
export class ConsumerInstance implements ConsumerEvents {
  private port: ConsumerPort | undefined;
  private subscription: Subscription | undefined;
  private assignment: TopicPartition[] = [];
  /**
   * Fetched batches; those before `start` were taken whole (a queue without O(n) shifts). A
   * batch is kept as kafkajs delivered it: no per-record wrapper, positions set once per batch.
   */
  private buffer: BufferedBatch[] = [];
  private start = 0;
  private bufferedBytes = 0;
  private bufferedCount = 0;
  private readonly paused = new Map<string, TopicPartition>();
  /** Next offset to read per partition, after what was returned to the client. */
  private readonly delivered = new Map<string, CommitOffset>();
  private readonly highWatermarks = new Map<string, bigint>();
  private waiters: (() => void)[] = [];
  /** kafkajs deliveries waiting for room in the buffer (see onBatch). */
  private roomWaiters: (() => void)[] = [];
  private crash: unknown;
  private polling: Promise<unknown> = Promise.resolve();
  /** Subscription changes, topic refreshes and close run one after another. */
  private operations: Promise<unknown> = Promise.resolve();
  /** The topics the Kafka consumer runs on (topic and pattern subscriptions); [] = none yet. */
  private runningTopics: readonly string[] | undefined;
  private closed = false;
  private lastUsed = Date.now();

  constructor(
    readonly group: string,
    readonly name: string,
    readonly settings: InstanceSettings,
    private readonly createPort: (events: ConsumerEvents) => ConsumerPort,
    /** Who created it: the only principal that may use it (everyone else gets 404/40403). */
    readonly owner: Principal = ANONYMOUS,
  ) {}

  touch(): void {
    this.lastUsed = Date.now();
  }

  idleSince(): number {
    return this.lastUsed;
  }

  // ---- kafkajs events --------------------------------------------------------------------

  /**
   * Buffers a fetched batch. Over the buffer bound the partition is paused and the answer is a
   * promise that settles once a records fetch made room (or at the latest after
   * `ROOM_WAIT_MS`): kafkajs fetches again only after it, so a client that keeps up gets the
   * next fetch at once instead of after kafkajs' idle wait for paused partitions (its
   * `maxWaitTime`); a slow client leaves the partitions paused and kafkajs heartbeating.
   */
  onBatch(
    records: FetchedRecord[],
    highWatermark: string,
    stale: () => boolean,
  ): Promise<void> | undefined {
    if (this.closed || stale()) return undefined;
    const first = records[0];
    if (first === undefined) return undefined;
    const key = tpKey(first.topic, first.partition);
    this.highWatermarks.set(key, BigInt(highWatermark));
    let bytes = 0;
    for (let i = 0; i < records.length; i++) bytes += recordBytes(records[i]!);
    this.buffer.push({ key, topic: first.topic, partition: first.partition, records, next: 0 });
    this.bufferedBytes += bytes;
    this.bufferedCount += records.length;
    this.wake();
    if (this.bufferedBytes <= this.settings.maxBufferBytes) return undefined;
    if (!this.paused.has(key)) {
      const tp = { topic: first.topic, partition: first.partition };
      this.paused.set(key, tp);
      this.port?.pause([tp]);
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ROOM_WAIT_MS);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.roomWaiters.push(done);
    });
  }

  /** Lets kafkajs go on (see onBatch): room was made, or the buffer was dropped. */
  private releaseRoom(): void {
    if (this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  onAssignment(assignment: TopicPartition[]): void {
    this.settings.onRebalance?.();
    this.assignment = assignment;
    // kafkajs refetches every assigned partition from its committed offset after a rejoin:
    // anything buffered is now either revoked or about to arrive again.
    this.clearBuffer();
    if (this.paused.size > 0) {
      this.port?.resume([...this.paused.values()]);
      this.paused.clear();
    }
    const owned = new Set(assignment.map((tp) => tpKey(tp.topic, tp.partition)));
    for (const key of [...this.delivered.keys()]) if (!owned.has(key)) this.delivered.delete(key);
    this.wake();
  }

  onCrash(error: unknown): void {
    this.crash = error;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  // ---- subscription and assignment -------------------------------------------------------

  /**
   * Subscribes or assigns. Topics, a pattern and a manual assignment are mutually exclusive, as
   * in the Java consumer: changing from one kind to another needs an unsubscribe first (40903);
   * the same kind replaces the previous one.
   */
  async subscribe(subscription: Subscription): Promise<void> {
    this.touch();
    await this.serial(async () => {
      const current = this.subscription;
      if (current !== undefined && current.kind !== subscription.kind) {
        throw Errors.subscriptionsExclusive();
      }
      const topics =
        subscription.kind === 'assign'
          ? undefined
          : matching(subscription, await this.settings.listTopics());
      await this.restart(subscription, topics, false);
    });
  }

  /** Whether the subscription depends on which topics exist (see `refreshTopics`). */
  followsTopics(): boolean {
    return this.subscription !== undefined && this.subscription.kind !== 'assign';
  }

  /**
   * Called with the cluster's topics every metadata refresh interval. kafkajs fixes the topics
   * of a subscription when it starts, so a pattern would never see topics created later and a
   * subscription to a topic that does not exist yet would never read it: the instance runs its
   * kafkajs consumer on the topics that exist and match, and restarts it cleanly (the old
   * member leaves the group, as on any rebalance) when that set changes.
   */
  async refreshTopics(existing: readonly string[]): Promise<void> {
    await this.serial(async () => {
      const s = this.subscription;
      if (this.closed || s === undefined || s.kind === 'assign') return;
      const topics = matching(s, existing);
      if (this.runningTopics !== undefined && sameTopics(topics, this.runningTopics)) return;
      await this.restart(s, topics, true);
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.operations.then(fn);
    this.operations = run.catch(() => undefined);
    return run;
  }

  /**
   * `topics`: the existing topics a topic or pattern subscription covers now. With `retry` a
   * failed start keeps the subscription (the next refresh tries again) instead of dropping it.
   */
  private async restart(
    subscription: Subscription | undefined,
    topics: readonly string[] | undefined,
    retry: boolean,
  ): Promise<void> {
    // A change of subscription is a clean restart: the old member leaves the group (committing
    // what was delivered when auto-commit is on), nothing buffered survives.
    if (this.port !== undefined) {
      if (this.settings.autoCommit) await this.commitDelivered().catch(() => undefined);
      // kafkajs stops once its delivery returns: one waiting for room must not hold the stop
      const stopping = this.port.stop();
      this.releaseRoom();
      await stopping;
      this.port = undefined;
    }
    this.clearBuffer();
    this.paused.clear();
    this.delivered.clear();
    this.assignment = [];
    this.crash = undefined;
    this.subscription = subscription;
    this.runningTopics = undefined;
    if (subscription === undefined || this.closed) return;
    // nothing to read until a subscribed topic exists: the next refresh starts the consumer
    if (topics !== undefined && topics.length === 0) {
      this.runningTopics = [];
      return;
    }
    const port = this.createPort(this);
    this.port = port;
    try {
      await port.start(topics === undefined ? subscription : { kind: 'topics', topics });
      this.runningTopics = topics;
    } catch (err) {
      // a refused subscription leaves the instance without one, not with a half-started
      // consumer that reports a subscription it does not have
      if (this.port === port) {
        this.port = undefined;
        if (!retry) this.subscription = undefined;
      }
      await port.stop().catch(() => undefined);
      throw err;
    }
  }

  async unsubscribe(): Promise<void> {
    this.touch();
    await this.serial(() => this.restart(undefined, undefined, false));
  }

  /** Topics of the subscription (for a pattern: those assigned so far). */
  subscribedTopics(): string[] {
    const s = this.subscription;
    if (s === undefined || s.kind === 'assign') return [];
    if (s.kind === 'topics') return [...s.topics];
    return [...new Set(this.assignment.map((tp) => tp.topic))].sort();
  }

  currentAssignment(): TopicPartition[] {
    const s = this.subscription;
    if (s?.kind === 'assign' && this.assignment.length === 0) return [...s.partitions];
    return [...this.assignment];
  }

  // ---- positions ---------------------------------------------------------------------------

  /** Seeks assigned partitions; the next records returned start at `offset`. */
  seek(targets: readonly { tp: TopicPartition; offset: string }[]): void {
    this.touch();
    const owned = new Set(this.assignment.map((tp) => tpKey(tp.topic, tp.partition)));
    for (const { tp } of targets) {
      if (this.port === undefined || !owned.has(tpKey(tp.topic, tp.partition))) {
        throw Errors.noAssignment(tp.topic, tp.partition);
      }
    }
    for (const { tp, offset } of targets) {
      const key = tpKey(tp.topic, tp.partition);
      this.port!.seek(tp, offset);
      this.dropBuffered(key);
      this.delivered.set(key, { topic: tp.topic, partition: tp.partition, offset });
      if (this.paused.delete(key)) this.port!.resume([tp]);
      if (this.bufferedBytes <= this.settings.maxBufferBytes / 2) this.releaseRoom();
    }
  }

  private clearBuffer(): void {
    this.buffer = [];
    this.start = 0;
    this.bufferedBytes = 0;
    this.bufferedCount = 0;
    this.releaseRoom();
  }

  private dropBuffered(key: string): void {
    const kept: BufferedBatch[] = [];
    for (let i = this.start; i < this.buffer.length; i++) {
      const b = this.buffer[i]!;
      if (b.key !== key) {
        kept.push(b);
        continue;
      }
      for (let j = b.next; j < b.records.length; j++)
        this.bufferedBytes -= recordBytes(b.records[j]!);
      this.bufferedCount -= b.records.length - b.next;
    }
    this.buffer = kept;
    this.start = 0;
  }

  // ---- records -----------------------------------------------------------------------------

  /**
   * Returns buffered records, waiting up to `timeoutMs` for some to arrive. Concurrent fetches of
   * one instance run one after another so a record is returned once per position. `trace`
   * (tracing on) is linked to the producer context of every record returned.
   */
  async poll(
    timeoutMs: number,
    maxBytes: number,
    trace?: FetchTrace,
    metadata?: RecordMetadata,
  ): Promise<RecordView[]> {
    const run = this.polling.then(() => this.pollNow(timeoutMs, maxBytes, trace, metadata));
    this.polling = run.catch(() => undefined);
    return run;
  }

  private async pollNow(
    timeoutMs: number,
    maxBytes: number,
    trace: FetchTrace | undefined,
    metadata: RecordMetadata | undefined,
  ): Promise<RecordView[]> {
    this.touch();
    const deadline = Date.now() + Math.max(0, Math.min(timeoutMs, this.settings.requestTimeoutMs));
    const minBytes = this.settings.fetchMinBytes;
    for (;;) {
      if (this.closed) throw Errors.instanceNotFound();
      if (this.crash !== undefined) {
        const err = this.crash;
        this.crash = undefined;
        throw err instanceof GatewayError
          ? err
          : new GatewayError(
              'kafka_error',
              `Consumer failed: ${err instanceof Error ? err.message : 'unknown error'}`,
              { cause: err },
            );
      }
      // `fetch.min.bytes` asks for a large batch; the buffer never holds more than its bound
      // (partitions pause beyond it), so a bound smaller than the wish is enough
      const enough =
        minBytes <= 0
          ? this.buffered() > 0
          : this.bufferedBytes >= Math.min(minBytes, maxBytes, this.settings.maxBufferBytes);
      const remaining = deadline - Date.now();
      if (enough || (remaining <= 0 && this.buffered() > 0)) {
        const taken = this.take(maxBytes, trace, wanted(metadata ?? this.settings.recordMetadata));
        if (taken.deadLetter !== undefined && taken.records.length === 0) {
          await this.deadLetter(taken.deadLetter);
          continue;
        }
        if (taken.needsSchema === undefined || taken.records.length > 0) return taken.records;
        // The first record's writer schema is not loaded: load it (a failure is remembered for
        // the next decode) and take again, so decoding itself stays synchronous.
        await this.settings.decoder.load(taken.needsSchema);
        continue;
      }
      if (remaining <= 0) return [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        const waiter = (): void => done();
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(waiter);
      });
    }
  }

  /**
   * Takes decoded records from the head of the buffer, up to `maxBytes` (at least one). Stops at
   * a record that cannot be decoded yet; when that is the first one and its writer schema is
   * missing, `needsSchema` names the schema to load. Positions and delivery counts are updated
   * once per batch taken from, not per record.
   */
  private take(
    maxBytes: number,
    trace: FetchTrace | undefined,
    metadata: RecordMetadata | undefined,
  ): {
    records: RecordView[];
    needsSchema?: number;
    deadLetter?: DeadLetterHead;
  } {
    const out: RecordView[] = [];
    let bytes = 0;
    let needsSchema: number | undefined;
    let deadLetter: DeadLetterHead | undefined;
    let perTopic: Map<string, { records: number; bytes: number }> | undefined;
    let stopped = false;
    while (!stopped && this.start < this.buffer.length) {
      const batch = this.buffer[this.start]!;
      const records = batch.records;
      let i = batch.next;
      let takenBytes = 0;
      let deliveredRecords = 0;
      let deliveredBytes = 0;
      for (; i < records.length; i++) {
        const r = records[i]!;
        const size = recordBytes(r);
        if (out.length > 0 && bytes + size > maxBytes) {
          stopped = true;
          break;
        }
        const view = this.decode(r, out.length === 0, metadata);
        if (typeof view === 'number') {
          if (out.length === 0) needsSchema = view;
          stopped = true;
          break;
        }
        if (view === undefined) {
          stopped = true; // a record that cannot be decoded waits at the head
          break;
        }
        if ('deadLetter' in view) {
          // written (and acknowledged) before the position moves past it: records before it are
          // returned now, the next take starts with it
          if (out.length === 0) deadLetter = { batch, index: i, reason: view.deadLetter };
          stopped = true;
          break;
        }
        bytes += size;
        takenBytes += size;
        out.push(view);
        if ('error' in view) {
          this.settings.onPoison?.('skip');
          continue; // a skipped record is not counted as delivered
        }
        if (trace !== undefined && r.trace !== undefined) trace.link(r.trace);
        deliveredRecords++;
        deliveredBytes += size;
      }
      if (i > batch.next) {
        this.bufferedCount -= i - batch.next;
        this.bufferedBytes -= takenBytes;
        batch.next = i;
        this.delivered.set(batch.key, {
          topic: batch.topic,
          partition: batch.partition,
          offset: nextOffset(records[i - 1]!),
        });
        if (deliveredRecords > 0) {
          perTopic ??= new Map();
          const t = perTopic.get(batch.topic);
          if (t === undefined)
            perTopic.set(batch.topic, { records: deliveredRecords, bytes: deliveredBytes });
          else {
            t.records += deliveredRecords;
            t.bytes += deliveredBytes;
          }
        }
      }
      if (i === records.length) this.start++;
    }
    this.compact();
    this.touch();
    if (perTopic !== undefined && this.settings.onDelivered !== undefined) {
      for (const [topic, t] of perTopic) this.settings.onDelivered(topic, t.records, t.bytes);
    }
    if (this.bufferedBytes <= this.settings.maxBufferBytes / 2) {
      if (this.paused.size > 0) {
        this.port?.resume([...this.paused.values()]);
        this.paused.clear();
      }
      this.releaseRoom();
    }
    return {
      records: out,
      ...(needsSchema === undefined ? {} : { needsSchema }),
      ...(deadLetter === undefined ? {} : { deadLetter }),
    };
  }

  /** Drops the batches taken whole from the head of the queue (amortized O(1) per batch). */
  private compact(): void {
    if (this.start === this.buffer.length) {
      this.buffer = [];
      this.start = 0;
    } else if (this.start > 1024 && this.start * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.start);
      this.start = 0;
    }
  }

  /**
   * Policy `dead-letter`: the head record is copied to the dead-letter topic, then the position
   * moves past it. A failed copy fails the fetch (retriable, 403 when the owner may no longer
   * produce there) and the record stays at the head: nothing is lost. A seek or rebalance during
   * the copy replaced the head: the position is left to them (a record fetched again after a
   * rebalance may be copied twice: at least once, like every Kafka producer retry).
   */
  private async deadLetter(head: DeadLetterHead): Promise<void> {
    const { batch, index, reason } = head;
    const r = batch.records[index]!;
    try {
      await this.settings.deadLetter!(r, reason);
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'forbidden') throw err;
      throw new GatewayError(
        'kafka_retriable_error',
        `The record at ${r.topic}-${r.partition} offset ${r.offset} cannot be decoded and writing it to the dead-letter topic failed (${err instanceof Error ? err.message : 'unknown error'}); it was not skipped: retry the fetch`,
        { retriable: true, cause: err },
      );
    }
    this.settings.onPoison?.('dead-letter');
    if (this.buffer[this.start] !== batch || batch.next !== index) return;
    batch.next++;
    this.bufferedCount--;
    this.bufferedBytes -= recordBytes(r);
    this.delivered.set(batch.key, {
      topic: r.topic,
      partition: r.partition,
      offset: nextOffset(r),
    });
    if (batch.next === batch.records.length) this.start++;
    this.compact();
  }

  /**
   * Decodes one record for the instance's format. A record that cannot be decoded is not skipped
   * silently: records before it are returned; once it is first in line the fetch fails with
   * 40801 naming its position, and the client moves past it with a seek to the next offset. A
   * transient failure (registry unreachable) fails the fetch with its retriable code instead.
   * Answers the schema id to load when the record's writer schema is not loaded yet.
   */
  private decode(
    r: FetchedRecord,
    first: boolean,
    metadata: RecordMetadata | undefined,
  ): RecordView | DeadLetterVerdict | number | undefined {
    const d = this.settings.decoder.decode(r);
    if (d.status === 'needs-schema') return d.schemaId;
    if (d.status === 'ok') {
      const view: DecodedRecordView = {
        topic: r.topic,
        key: d.key,
        value: d.value,
        partition: r.partition,
        offset: Number(r.offset),
      };
      return metadata === undefined ? view : withMetadata(view, r, metadata);
    }
    const policy = this.settings.poisonPolicy ?? 'fail';
    if (d.poison && policy !== 'fail') {
      const reason = `The ${d.field} of the record at ${r.topic}-${r.partition} offset ${r.offset} cannot be decoded as ${this.settings.format}: ${d.error.message}`;
      if (policy === 'dead-letter') return { deadLetter: reason };
      const skipped: SkippedRecordView = {
        topic: r.topic,
        partition: r.partition,
        offset: Number(r.offset),
        error: { error_code: NOT_DECODABLE, message: reason },
        keyRaw: r.key,
        valueRaw: r.value,
      };
      return metadata === undefined ? skipped : withMetadata(skipped, r, metadata);
    }
    if (!first) return undefined;
    if (!d.poison) throw d.error;
    this.settings.onPoison?.('fail');
    const next = (BigInt(r.offset) + 1n).toString();
    throw new GatewayError(
      'record_not_decodable',
      `The ${d.field} of the record at ${r.topic}-${r.partition} offset ${r.offset} cannot be decoded as ${this.settings.format}: ${d.error.message}. ` +
        `Seek past it: POST .../positions {"offsets":[{"topic":"${r.topic}","partition":${r.partition},"offset":${next}}]}`,
      { cause: d.error },
    );
  }

  // ---- offsets -----------------------------------------------------------------------------

  /** Commits the given positions (already "next offset" values), or all delivered positions. */
  async commit(offsets: readonly CommitOffset[] | undefined): Promise<void> {
    this.touch();
    if (offsets === undefined) {
      await this.commitDelivered();
      return;
    }
    if (this.port === undefined || !this.port.isRunning()) throw Errors.noSubscription();
    await this.port.commit(offsets);
  }

  private async commitDelivered(): Promise<void> {
    if (this.delivered.size === 0 || this.port === undefined || !this.port.isRunning()) return;
    await this.port.commit([...this.delivered.values()]);
  }

  /** Summed lag of the assigned partitions (records between what was returned and the end). */
  lag(): number {
    let lag = 0n;
    for (const [key, hw] of this.highWatermarks) {
      const d = this.delivered.get(key);
      if (d !== undefined && hw > BigInt(d.offset)) lag += hw - BigInt(d.offset);
    }
    return Number(lag);
  }

  private buffered(): number {
    return this.bufferedCount;
  }

  /** Key and value bytes held for this instance (fetched, not yet returned). */
  bufferedByteCount(): number {
    return this.bufferedBytes;
  }

  bufferedRecords(): number {
    return this.buffered();
  }

  /** Closes the Kafka consumer: it leaves the group (after committing with auto-commit on). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.releaseRoom();
    await this.serial(async () => {
      if (this.port !== undefined) {
        if (this.settings.autoCommit) await this.commitDelivered().catch(() => undefined);
        await this.port.stop();
        this.port = undefined;
      }
    });
  }

  /** Periodic auto-commit of what was returned (Kafka's auto.commit.interval.ms analogue). */
  async autoCommit(): Promise<void> {
    if (this.settings.autoCommit && !this.closed) await this.commitDelivered();
  }
}

/** Undefined when nothing beyond Confluent's fields is asked for (the common, lean path). */
function wanted(m: RecordMetadata | undefined): RecordMetadata | undefined {
  return m !== undefined && (m.headers || m.timestamp) ? m : undefined;
}

/** Adds the opted-in metadata of the record to its view. */
function withMetadata<V extends RecordMetadataView>(
  view: V,
  r: FetchedRecord,
  metadata: RecordMetadata,
): V {
  if (metadata.headers) view.headers = r.headers ?? [];
  if (metadata.timestamp) {
    view.timestamp = Number(r.timestamp);
    view.timestampType = r.timestampType ?? 'CreateTime';
  }
  return view;
}
