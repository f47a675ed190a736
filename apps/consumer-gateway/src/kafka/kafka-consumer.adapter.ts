import { Errors, KafkaClientFactory, toGatewayError } from '@kafka-gateway/server-kit';
import {
  type Assigner,
  AssignerProtocol,
  type Consumer,
  type EachBatchPayload,
  type PartitionAssigner,
  PartitionAssigners,
} from 'kafkajs';
import type { Logger } from 'pino';
import type {
  CommitOffset,
  ConsumerEvents,
  ConsumerPort,
  ConsumerSettings,
  FetchedRecord,
  Subscription,
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
 * Manual assignment (`POST .../assignments`) emulated on kafkajs, which has no assign(): the
 * member joins the group with an assigner that hands it exactly the requested partitions. A
 * group whose other members use another protocol refuses the join (INCONSISTENT_GROUP_PROTOCOL).
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

  constructor(
    private readonly factory: KafkaClientFactory,
    private readonly settings: ConsumerSettings,
    private readonly events: ConsumerEvents,
    private readonly logger: Logger,
  ) {}

  isRunning(): boolean {
    return this.running;
  }

  async start(subscription: Subscription): Promise<void> {
    await this.stop();
    const consumer = this.factory.consumer({
      groupId: this.settings.group,
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
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const partition of partitions) assignment.push({ topic, partition });
      }
      this.events.onAssignment(assignment);
    });
    let crashed = false;
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        crashed = true;
        this.running = false;
        this.events.onCrash(e.payload.error);
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
    } catch (err) {
      this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw toGatewayError(err);
    }
  }

  private deliver(payload: EachBatchPayload): void {
    const { batch } = payload;
    if (payload.isStale() || batch.messages.length === 0) return;
    const records: FetchedRecord[] = batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key,
      value: m.value,
      timestamp: m.timestamp,
    }));
    this.events.onBatch(records, batch.highWatermark, () => payload.isStale());
  }

  /** Leaves the group and closes the connection. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.running = false;
    if (consumer !== undefined) {
      await consumer
        .disconnect()
        .catch((err: unknown) => this.logger.warn({ err }, 'consumer disconnect failed'));
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
    try {
      await consumer.commitOffsets(
        offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          metadata: o.metadata ?? null,
        })),
      );
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  private requireRunning(): Consumer {
    if (this.consumer === undefined || !this.running) throw Errors.noSubscription();
    return this.consumer;
  }
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
