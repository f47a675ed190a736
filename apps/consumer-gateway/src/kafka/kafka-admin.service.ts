import { Injectable } from '@nestjs/common';
import { ManagedAdmin } from '@kafka-gateway/server-kit';

export interface PartitionOffsets {
  readonly partition: number;
  /** Earliest offset. */
  readonly low: string;
  /** Log-end offset. */
  readonly high: string;
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly metadata: string | null;
}

/**
 * The offset queries of the consumer API (seek to an edge or a timestamp, committed offsets) over
 * the process's managed admin client; its connection is the gateway's Kafka readiness.
 */
@Injectable()
export class KafkaAdminService {
  constructor(private readonly admin: ManagedAdmin) {}

  /** Earliest and log-end offsets of each partition of a topic. */
  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.admin.call((a) => a.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
  }

  /** For each partition, the earliest offset whose timestamp is at or after `timestampMs` (or the end). */
  offsetsForTimestamp(
    topic: string,
    timestampMs: number,
  ): Promise<{ partition: number; offset: string }[]> {
    return this.admin.call((a) => a.fetchTopicOffsetsByTimestamp(topic, timestampMs));
  }

  /** Committed offsets of a group for some topics; partitions without a commit are left out. */
  async committedOffsets(group: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    const result = await this.admin.call((a) =>
      a.fetchOffsets({ groupId: group, topics: [...new Set(topics)] }),
    );
    return result.flatMap((t) =>
      t.partitions
        .filter((p) => p.offset !== '-1')
        .map((p) => ({
          topic: t.topic,
          partition: p.partition,
          offset: p.offset,
          metadata: p.metadata,
        })),
    );
  }

  /** Every topic name, Kafka's internal topics left out (Java's `exclude.internal.topics`). */
  async topicNames(): Promise<string[]> {
    const names = await this.admin.call((a) => a.listTopics());
    return names.filter((t) => !INTERNAL_TOPICS.has(t));
  }

  /** Deletes an empty group and its offsets; a group that does not exist is not an error. */
  async deleteGroup(group: string): Promise<void> {
    await this.admin.call(async (a) => {
      try {
        await a.deleteGroups([group]);
      } catch (err) {
        if (!onlyNotFound(err)) throw err;
      }
    });
  }
}

const INTERNAL_TOPICS = new Set([
  '__consumer_offsets',
  '__transaction_state',
  '__share_group_state',
]);

/** kafkajs' deleteGroups failure carries one error per group in `groups`. */
function onlyNotFound(err: unknown): boolean {
  const groups = (err as { groups?: { error?: { type?: unknown } }[] } | null)?.groups;
  return (
    Array.isArray(groups) &&
    groups.length > 0 &&
    groups.every((g) => g.error?.type === 'GROUP_ID_NOT_FOUND')
  );
}
