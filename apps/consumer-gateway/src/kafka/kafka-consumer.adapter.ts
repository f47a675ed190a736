import {
  Errors,
  isAuthenticationFailure,
  isAuthorizationFailure,
  isUnknownTopic,
  KafkaClientFactory,
  type KafkaCaller,
  type RecordTraceContext,
  toCallerError,
  toGatewayError,
  TRACEPARENT,
  TRACESTATE,
} from '@kafka-gateway/server-kit';
import {
  type Assigner,
  type IHeaders,
  AssignerProtocol,
  type Consumer,
  type EachBatchPayload,
  type PartitionAssigner,
  PartitionAssigners,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaAdminService } from './kafka-admin.service';
import type {
  CommitOffset,
  ConsumerEvents,
  ConsumerPort,
  ConsumerSettings,
  FetchedRecord,
  RecordHeader,
  Subscription,
  TimestampType,
  TopicPartition,
} from './consumer-port';

/** The shortest heartbeat interval: more often only loads the group coordinator. */
const MIN_HEARTBEAT_MS = 500;
/** Heartbeats per session timeout: one lost heartbeat never evicts a live member. */
const HEARTBEATS_PER_SESSION = 10;
/** A small first fetch per partition keeps the first poll fast; kafkajs grows it as needed. */
const FIRST_FETCH_BYTES_PER_PARTITION = 1024 * 1024;
/**
 * How long the broker holds a fetch without data: short, so a records request that arrives just
 * after records were produced sees them within a quarter second.
 */
const FETCH_MAX_WAIT_MS = 250;

/**
 * How often a consumer checks that its topics still exist. kafkajs does not give up on a deleted
 * topic: it retries the fetch and its metadata (a warning each) or crashes and restarts every few
 * hundred ms, for as long as the instance lives. One shared listing serves every consumer.
 */
const TOPIC_CHECK_MS = 2000;

const MANUAL_PROTOCOL = 'RestManualAssignment';
/**
 * How long `assign` waits for its private group's join, so that a seek right after the
 * assignment finds the partitions assigned (Java's assign() is immediate). The group has one
 * member, so the join takes about the broker's `group.initial.rebalance.delay.ms` (3 s by
 * default); past this wait the request returns anyway and seeks answer 40903 until it joined.
 */
const ASSIGN_JOIN_WAIT_MS = 10_000;

/** The private group of a manually assigned instance (see docs/api-compatibility.md). */
export function assignmentGroupId(group: string, instance: string): string {
  return `${group}.rest-assign.${instance}`;
}

/**
 * Manual assignment (`POST .../assignments`) on kafkajs, which has no assign(): the instance's
 * kafkajs consumer joins a group of its own (`assignmentGroupId`) with an assigner that hands it
 * exactly the requested partitions, so kafkajs' fetch, pause and seek machinery works unchanged
 * and no other instance of the named group is disturbed.
 */
function manualAssigner(partitions: readonly TopicPartition[]): PartitionAssigner {
  const assigner: Assigner = {
    name: MANUAL_PROTOCOL,
    version: 1,
    protocol: ({ topics }) => ({
      name: MANUAL_PROTOCOL,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: Buffer.alloc(0),
      }),
    }),
    assign: async ({ members }) => {
      const byTopic: Record<string, number[]> = {};
      for (const tp of partitions) (byTopic[tp.topic] ??= []).push(tp.partition);
      return members.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? byTopic : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
  };
  return () => assigner;
}

/**
 * One kafkajs consumer behind the pull-style interface a consumer instance needs. kafkajs cannot
 * change a running subscription, so every (re)subscription starts a fresh kafkajs consumer in the
 * same group; the old one leaves the group first.
 */
export class KafkaConsumerAdapter implements ConsumerPort {
  private consumer: Consumer | undefined;
  private running = false;
  /** What start() was asked for; kept while the consumer waits for a deleted topic. */
  private subscription: Subscription | undefined;
  /** The topics missing since the consumer stopped for them (undefined: not waiting). */
  private missing: readonly string[] | undefined;
  private watch: NodeJS.Timeout | undefined;
  /** start, stop and the topic checks run one after another. */
  private operations: Promise<unknown> = Promise.resolve();
  /** Set while the consumer runs a manual assignment in its private group. */
  private privateGroup: string | undefined;
  /** Maps kafkajs failures; as a caller, Kafka refusing its login is the caller's 401. */
  private readonly mapError: (err: unknown) => Error;

  /**
   * `as` (principal propagation): every consumer this adapter makes, and the admin calls and
   * non-member commits of a manual assignment, log in as that caller.
   */
  constructor(
    private readonly factory: KafkaClientFactory,
    private readonly admin: KafkaAdminService,
    private readonly settings: ConsumerSettings,
    private readonly events: ConsumerEvents,
    private readonly logger: Logger,
    private readonly as?: KafkaCaller,
  ) {
    // a bearer caller's refused token shows as a closed connection (see toCallerError)
    const bearer = as?.credential.kind === 'bearer';
    this.mapError =
      as === undefined
        ? toGatewayError
        : (err) => toCallerError(err, bearer && factory.isConnected());
  }

  isRunning(): boolean {
    return this.running;
  }

  start(subscription: Subscription): Promise<void> {
    return this.serial(async () => {
      await this.stopNow();
      await this.launch(subscription);
      this.subscription = subscription;
      if (topicsOf(subscription).length > 0) {
        this.watch = setInterval(() => void this.serial(() => this.checkTopics()), TOPIC_CHECK_MS);
        this.watch.unref();
      }
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.operations.then(fn);
    this.operations = run.catch(() => undefined);
    return run;
  }

  /**
   * A deleted topic stops the consumer (one warning) instead of kafkajs retrying it forever;
   * once every topic exists again (recreated) the consumer starts again on the same
   * subscription and the group resumes from its committed offsets (or auto.offset.reset).
   * Meanwhile fetches return nothing and commits of delivered positions are skipped.
   */
  private async checkTopics(): Promise<void> {
    const subscription = this.subscription;
    if (subscription === undefined) return;
    const wanted = topicsOf(subscription);
    let names: Set<string>;
    try {
      names = new Set(await this.admin.cachedTopicNames(TOPIC_CHECK_MS, this.as));
    } catch {
      return; // Kafka unreachable: not a deletion; readiness reports it
    }
    const missing = wanted.filter((t) => !names.has(t));
    if (this.missing === undefined) {
      if (missing.length > 0) await this.halt(missing, undefined);
      return;
    }
    if (missing.length > 0) return;
    try {
      await this.launch(subscription);
      this.missing = undefined;
      this.logger.warn({ topics: wanted }, 'the deleted topics exist again: the consumer resumed');
    } catch (err) {
      this.logger.debug({ err }, 'restarting the consumer on recreated topics failed; retried');
    }
  }

  /** Stops the kafkajs consumer for deleted topics; the subscription is kept. */
  private async halt(missing: readonly string[], err: unknown): Promise<void> {
    this.missing = missing;
    this.running = false;
    const consumer = this.consumer;
    this.consumer = undefined;
    this.logger.warn(
      { topics: missing, ...(err === undefined ? {} : { err }) },
      'a topic of the consumer was deleted: it reads nothing until the topic exists again',
    );
    await consumer?.disconnect().catch(() => undefined);
  }

  private async launch(subscription: Subscription): Promise<void> {
    const assigned = subscription.kind === 'assign';
    const groupId = assigned
      ? assignmentGroupId(this.settings.group, this.settings.instance)
      : this.settings.group;
    if (subscription.kind === 'assign') {
      try {
        await this.prepareAssignment(groupId, subscription.partitions);
      } catch (err) {
        throw this.mapError(err);
      }
      this.privateGroup = groupId;
    }
    const consumer = this.factory.consumer(
      {
        groupId,
        sessionTimeout: this.settings.sessionTimeoutMs,
        heartbeatInterval: Math.max(
          MIN_HEARTBEAT_MS,
          Math.floor(this.settings.sessionTimeoutMs / HEARTBEATS_PER_SESSION),
        ),
        allowAutoTopicCreation: false,
        // a deleted topic: no restart every few hundred ms, the topic check takes over
        retry: { retries: 5, restartOnFailure: (e) => Promise.resolve(!isUnknownTopic(e)) },
        maxBytesPerPartition: FIRST_FETCH_BYTES_PER_PARTITION,
        maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
        ...(subscription.kind === 'assign'
          ? { partitionAssigners: [manualAssigner(subscription.partitions)] }
          : { partitionAssigners: [PartitionAssigners.roundRobin] }),
      },
      this.as?.credential,
    );
    let joined: () => void = () => undefined;
    const firstJoin = new Promise<void>((resolve) => (joined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const partition of partitions) assignment.push({ topic, partition });
      }
      this.events.onAssignment(assignment);
      joined();
    });
    let crashed = false;
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        crashed = true;
        this.running = false;
        if (isUnknownTopic(e.payload.error)) {
          if (this.consumer === consumer) {
            void this.serial(() =>
              this.consumer === consumer
                ? this.halt(topicsOf(subscription), e.payload.error)
                : Promise.resolve(),
            );
          }
          joined();
          return;
        }
        // as a caller, Kafka refusing its login or its ACLs is the caller's 401/403
        const error = e.payload.error;
        this.events.onCrash(
          this.as !== undefined && (isAuthenticationFailure(error) || isAuthorizationFailure(error))
            ? toCallerError(error)
            : error,
        );
        joined();
      }
    });
    this.consumer = consumer;
    try {
      await consumer.connect();
      if (subscription.kind === 'topics') {
        await consumer.subscribe({
          topics: [...subscription.topics],
          fromBeginning: this.settings.fromBeginning,
        });
      } else if (subscription.kind === 'pattern') {
        await consumer.subscribe({
          topics: [subscription.pattern],
          fromBeginning: this.settings.fromBeginning,
        });
      } else {
        const topics = [...new Set(subscription.partitions.map((p) => p.topic))];
        await consumer.subscribe({ topics, fromBeginning: this.settings.fromBeginning });
      }
      await consumer.run({
        autoCommit: false, // commits cover exactly what was delivered: the instance commits itself
        eachBatchAutoResolve: true, // kafkajs' fetch position moves on once a batch is buffered
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload: EachBatchPayload) => this.deliver(payload),
      });
      // run() returns once the runner started; a join that already crashed stays not running
      this.running = !crashed;
      if (assigned) await waitAtMost(firstJoin, ASSIGN_JOIN_WAIT_MS);
    } catch (err) {
      this.consumer = undefined;
      this.privateGroup = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw this.mapError(err);
    }
  }

  /**
   * A fresh private group starts from the NAMED group's committed offsets: stale offsets of an
   * earlier assignment are deleted with the group, then the named group's commits for the
   * assigned partitions are copied in (the private group is empty, so a non-member commit is
   * accepted). Partitions without a commit start at auto.offset.reset, as in Java.
   */
  private async prepareAssignment(
    privateGroup: string,
    partitions: readonly TopicPartition[],
  ): Promise<void> {
    await this.admin.deleteGroup(privateGroup, this.as);
    const wanted = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
    const committed = await this.admin.committedOffsets(
      this.settings.group,
      partitions.map((p) => p.topic),
      this.as,
    );
    await this.factory.commitAsNonMember(
      privateGroup,
      committed.filter((c) => wanted.has(`${c.topic}\u0000${c.partition}`)),
      this.as,
    );
  }

  /** Hands a batch to the instance; kafkajs fetches again once the answer settles. */
  private deliver(payload: EachBatchPayload): Promise<void> | undefined {
    const { batch } = payload;
    if (payload.isStale() || batch.messages.length === 0) return undefined;
    const { topic, partition, messages } = batch;
    const records = new Array<FetchedRecord>(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      // one object shape per record; kafkajs gives `{}` for a record without headers
      const record: FetchedRecord = {
        topic,
        partition,
        offset: m.offset,
        key: m.key,
        value: m.value,
        timestamp: m.timestamp,
        timestampType: timestampTypeOf(m),
      };
      records[i] =
        m.headers === undefined || isEmpty(m.headers) ? record : withHeaders(record, m.headers);
    }
    return this.events.onBatch(records, batch.highWatermark, () => payload.isStale());
  }

  /** Leaves the group and closes the connection. */
  stop(): Promise<void> {
    return this.serial(() => this.stopNow());
  }

  private async stopNow(): Promise<void> {
    clearInterval(this.watch);
    this.watch = undefined;
    this.subscription = undefined;
    this.missing = undefined;
    const consumer = this.consumer;
    const privateGroup = this.privateGroup;
    this.consumer = undefined;
    this.privateGroup = undefined;
    this.running = false;
    if (consumer !== undefined) {
      await consumer
        .disconnect()
        .catch((err: unknown) => this.logger.warn({ err }, 'consumer disconnect failed'));
    }
    // the private group of a manual assignment is emptied by the disconnect: remove it
    if (privateGroup !== undefined) {
      await this.admin
        .deleteGroup(privateGroup, this.as)
        .catch((err: unknown) =>
          this.logger.warn({ err, group: privateGroup }, 'deleting the assignment group failed'),
        );
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.consumer?.pause(group(partitions));
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.consumer?.resume(group(partitions));
  }

  seek(tp: TopicPartition, offset: string): void {
    const consumer = this.requireRunning();
    consumer.seek({ topic: tp.topic, partition: tp.partition, offset });
  }

  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const consumer = this.requireRunning();
    const entries = offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      metadata: o.metadata ?? null,
    }));
    try {
      if (this.privateGroup === undefined) {
        await consumer.commitOffsets(entries);
        return;
      }
      // Manual assignment: the commit belongs to the named group, written without membership
      // (Java's assign() consumers commit with generation -1 the same way). The private group
      // gets it too, so a rejoin of the private group resumes from it.
      await this.factory.commitAsNonMember(this.settings.group, entries, this.as);
      await consumer
        .commitOffsets(entries)
        .catch((err: unknown) =>
          this.logger.warn({ err }, 'commit to the assignment group failed'),
        );
    } catch (err) {
      throw this.mapError(err);
    }
  }

  private requireRunning(): Consumer {
    if (this.consumer === undefined || !this.running) throw Errors.noSubscription();
    return this.consumer;
  }
}

/** The topics a subscription reads (a pattern's are not known here: not checked). */
function topicsOf(subscription: Subscription): string[] {
  if (subscription.kind === 'topics') return [...new Set(subscription.topics)];
  if (subscription.kind === 'assign')
    return [...new Set(subscription.partitions.map((p) => p.topic))];
  return [];
}

async function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function group(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    const list = byTopic.get(tp.topic) ?? [];
    list.push(tp.partition);
    byTopic.set(tp.topic, list);
  }
  return [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps }));
}

function isEmpty(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false;
  return true;
}

/** The record with its headers as a list and the producer's trace context, when it has one. */
function withHeaders(record: FetchedRecord, raw: IHeaders): FetchedRecord {
  const headers = headerList(raw);
  const trace = traceContextOf(raw);
  return {
    ...record,
    ...(headers === undefined ? {} : { headers }),
    ...(trace === undefined ? {} : { trace }),
  };
}

/**
 * kafkajs keeps the batch's attributes on each message (`batchContext`, not in its types):
 * timestamp type 1 is LogAppendTime (the broker's clock), 0 CreateTime (the producer's).
 */
function timestampTypeOf(m: object): TimestampType {
  const context = (m as { batchContext?: { timestampType?: number } }).batchContext;
  return context?.timestampType === 1 ? 'LogAppendTime' : 'CreateTime';
}

/**
 * kafkajs decodes headers into an object (a repeated key becomes an array): back to a list,
 * keys in order of first appearance and the values of one key in log order. A null value (the
 * header exists without a value) stays null.
 */
function headerList(headers: IHeaders): RecordHeader[] | undefined {
  const list: RecordHeader[] = [];
  for (const [key, v] of Object.entries(headers)) {
    const values = Array.isArray(v) ? v : [v];
    for (const value of values) {
      list.push({
        key,
        value:
          value === undefined || value === null
            ? null
            : typeof value === 'string'
              ? Buffer.from(value)
              : value,
      });
    }
  }
  return list.length === 0 ? undefined : list;
}

/** A header's first value as text (kafkajs decodes header values as Buffers). */
function headerText(v: IHeaders[string]): string | undefined {
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString('latin1');
}

/** The producer's W3C trace context from a record's headers, when it carries one. */
function traceContextOf(headers: IHeaders): RecordTraceContext | undefined {
  const traceparent = headerText(headers[TRACEPARENT]);
  if (traceparent === undefined) return undefined;
  return { traceparent, tracestate: headerText(headers[TRACESTATE]) };
}
