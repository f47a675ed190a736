import { Inject, Injectable } from '@nestjs/common';
import {
  Errors,
  KafkaClientFactory,
  ManagedAdmin,
  toGatewayError,
} from '@kafka-gateway/server-kit';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';

/** One partition of a topic as the gateway uses it (no kafkajs types leave this folder). */
export interface PartitionInfo {
  readonly partitionId: number;
  /** Broker id of the leader; -1 while the partition has none. */
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicPartitions {
  readonly name: string;
  /** Sorted by partition id. */
  readonly partitions: readonly PartitionInfo[];
}

type TopicMap = ReadonlyMap<string, readonly PartitionInfo[]>;

/** Access probes remembered at most for this many topics (oldest forgotten first). */
const MAX_REMEMBERED_PROBES = 1000;

/** Topics Kafka itself marks internal; Confluent's listing leaves them out. */
const INTERNAL_TOPICS = new Set([
  '__consumer_offsets',
  '__transaction_state',
  '__share_group_state',
]);
export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/**
 * Cluster topic metadata: a snapshot of every topic's partitions, refreshed on demand and shared by
 * concurrent callers. Listeners hear of every refresh (the producer renews itself when a topic it
 * used is gone) and of topics deleted through this gateway.
 */
@Injectable()
export class TopicMetadataService {
  private snapshot: { at: number; topics: TopicMap } | undefined;
  private refreshing: { startedAt: number; promise: Promise<TopicMap> } | undefined;
  private readonly refreshListeners: ((topics: TopicMap) => void)[] = [];
  private readonly deleteListeners: ((topic: string) => void)[] = [];
  /** Topics missing from the listing, by whether Kafka refused to describe them (an ACL). */
  private readonly probes = new Map<string, { at: number; denied: Promise<boolean> }>();

  constructor(
    private readonly admin: ManagedAdmin,
    private readonly clients: KafkaClientFactory,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
  ) {}

  onRefresh(listener: (topics: TopicMap) => void): void {
    this.refreshListeners.push(listener);
  }

  onTopicDeleted(listener: (topic: string) => void): void {
    this.deleteListeners.push(listener);
  }

  /**
   * Cluster metadata for every topic (one Metadata request) fetched after `notBefore`: callers
   * that arrive while a fetch is in flight share it when it started late enough, so a burst of
   * requests costs one round trip, yet a topic created a moment ago is never missed.
   */
  private async refresh(notBefore = Date.now()): Promise<TopicMap> {
    const inFlight = this.refreshing;
    if (inFlight !== undefined) {
      if (inFlight.startedAt >= notBefore) return inFlight.promise;
      await inFlight.promise.catch(() => undefined);
      return this.refresh(notBefore);
    }
    const startedAt = Date.now();
    const promise = (async () => {
      try {
        const { topics } = await this.admin.call((a) => a.fetchTopicMetadata({ topics: [] }));
        const map = new Map<string, readonly PartitionInfo[]>();
        for (const t of topics) {
          map.set(
            t.name,
            t.partitions
              .map((p) => ({
                partitionId: p.partitionId,
                leader: p.leader,
                replicas: p.replicas,
                isr: p.isr,
              }))
              .sort((a, b) => a.partitionId - b.partitionId),
          );
        }
        this.snapshot = { at: startedAt, topics: map };
        for (const l of this.refreshListeners) l(map);
        return map;
      } finally {
        this.refreshing = undefined;
      }
    })();
    this.refreshing = { startedAt, promise };
    return promise;
  }

  /** Names of the non-internal topics, sorted. */
  async listTopics(): Promise<string[]> {
    const topics = await this.refresh();
    return [...topics.keys()].filter((t) => !INTERNAL_TOPICS.has(t)).sort();
  }

  /** Current metadata of one topic, or undefined when the cluster does not have it. */
  async describeTopic(topic: string): Promise<TopicPartitions | undefined> {
    const partitions = (await this.refresh()).get(topic);
    return partitions === undefined ? undefined : { name: topic, partitions };
  }

  /** Current metadata of one topic; 404/40403 when the cluster does not have it (Confluent's
   * UnknownTopicOrPartition mapping). */
  async requireTopic(topic: string): Promise<TopicPartitions> {
    const meta = await this.describeTopic(topic);
    if (meta === undefined) throw Errors.unknownTopicOrPartition();
    return meta;
  }

  /**
   * Partitions of a topic from a snapshot at most `metadataMaxAgeMs` old; a miss refreshes it so
   * a topic created a moment ago is found.
   */
  async cachedPartitions(
    topic: string,
    /** The longest wait for a refresh (a produce's timeout); unbounded when not given. */
    waitMs?: number,
  ): Promise<readonly PartitionInfo[] | undefined> {
    const snap = this.snapshot;
    if (snap !== undefined && Date.now() - snap.at < this.config.kafka.metadataMaxAgeMs) {
      const hit = snap.topics.get(topic);
      if (hit !== undefined) return hit;
    }
    if (waitMs === undefined) return (await this.refresh()).get(topic);
    // kafkajs retries a metadata request for a long while when no broker answers (a full
    // outage): a produce gives up with a retriable 503 within its own timeout instead
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Errors.kafkaUnavailable()), waitMs);
    });
    try {
      return (await Promise.race([this.refresh(), late])).get(topic);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Whether a topic missing from the all-topics listing exists but may not be described by the
   * gateway's principal (Kafka leaves such topics out of the listing and answers
   * TOPIC_AUTHORIZATION_FAILED when asked for it by name). Asked on a short-lived admin client
   * without retries: kafkajs keeps every topic a client asked for in all its later metadata
   * requests, so asking the shared clients would make their every request fail from then on.
   * Answers are remembered for `metadataMaxAgeMs`, so a flood of requests for missing topics
   * costs one probe per topic.
   */
  isDenied(topic: string): Promise<boolean> {
    const now = Date.now();
    const hit = this.probes.get(topic);
    if (hit !== undefined && now - hit.at < this.config.kafka.metadataMaxAgeMs) return hit.denied;
    const denied = this.probe(topic);
    if (this.probes.size >= MAX_REMEMBERED_PROBES)
      this.probes.delete(this.probes.keys().next().value!);
    this.probes.set(topic, { at: now, denied });
    return denied;
  }

  private async probe(topic: string): Promise<boolean> {
    const admin = this.clients.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      await admin.fetchTopicMetadata({ topics: [topic] });
      return false; // it exists and may be described: the listing was just older
    } catch (err) {
      return toGatewayError(err).code === 'kafka_authorization_failed';
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Forgets cached metadata, e.g. after the broker said a partition is unknown. */
  invalidate(): void {
    this.snapshot = undefined;
  }

  /** A topic was deleted through this gateway: the cache is dropped and listeners told at once. */
  topicDeleted(topic: string): void {
    this.invalidate();
    for (const l of this.deleteListeners) l(topic);
  }
}

/** The partition with this id, or undefined. */
export function findPartition(
  meta: TopicPartitions,
  partitionId: number,
): PartitionInfo | undefined {
  return meta.partitions.find((p) => p.partitionId === partitionId);
}
