import {
  Errors,
  isAuthenticationFailure,
  isAuthorizationFailure,
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

  async start(subscription: Subscription): Promise<void> {
    await this.stop();
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

  private deliver(payload: EachBatchPayload): void {
    const { batch } = payload;
    if (payload.isStale() || batch.messages.length === 0) return;
    const records: FetchedRecord[] = batch.messages.map((m) => {
      const trace = m.headers === undefined ? undefined : traceContextOf(m.headers);
      const headers = m.headers === undefined ? undefined : headerList(m.headers);
      return {
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        key: m.key,
        value: m.value,
        timestamp: m.timestamp,
        timestampType: timestampTypeOf(m),
        ...(headers === undefined ? {} : { headers }),
        ...(trace === undefined ? {} : { trace }),
      };
    });
    this.events.onBatch(records, batch.highWatermark, () => payload.isStale());
  }

  /** Leaves the group and closes the connection. */
  async stop(): Promise<void> {
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
