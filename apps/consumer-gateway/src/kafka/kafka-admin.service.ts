import { Injectable } from '@nestjs/common';
import {
  type CallerClientCache,
  GatewayError,
  isAuthenticationFailure,
  isUnknownTopic,
  KafkaClientFactory,
  type KafkaCaller,
  ManagedAdmin,
  toCallerError,
} from '@kafka-gateway/server-kit';
import type { Admin } from 'kafkajs';

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
 * the process's managed admin client; its connection is the gateway's Kafka readiness. With `as`
 * (an instance created under principal propagation) a call runs on an admin client that logs in
 * as that caller, from a bounded per-caller cache.
 */
@Injectable()
export class KafkaAdminService {
  private readonly callers: CallerClientCache<Admin> | undefined;
  /** The gateway's last topic listing, shared by every consumer checking its topics. */
  private listing: { at: number; names: Promise<string[]> } | undefined;

  constructor(
    private readonly admin: ManagedAdmin,
    private readonly factory: KafkaClientFactory,
  ) {
    if (factory.propagation.enabled) {
      this.callers = factory.callerClients('admin', (credential) =>
        factory.admin(undefined, credential),
      );
    }
  }

  /**
   * Before an instance created by a propagating caller subscribes or is assigned: Kafka must let
   * the caller use the group and describe the named topics (403/40301 otherwise). Without this a
   * caller's subscription to topics it may not see would quietly cover nothing (its listing
   * leaves them out), and a refused group would only show as kafkajs' "Failed to find group
   * coordinator". A named topic that does not exist yet is fine, as for any subscription.
   */
  async requireAccess(group: string, topics: readonly string[], as: KafkaCaller): Promise<void> {
    const denied = await this.factory
      .groupAccessDenied(group, as)
      .catch((err: unknown) => Promise.reject(this.callerError(err, as)));
    if (denied) throw groupDenied(group);
    if (topics.length === 0) return;
    try {
      await this.call(as, (a) => a.fetchTopicMetadata({ topics: [...new Set(topics)] }));
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'kafka_authorization_failed') throw err;
      if (!isUnknownTopic(err)) throw err;
    }
  }

  /** Runs an admin call as the gateway, or as the caller; `group`: the group it is about. */
  private async call<T>(
    as: KafkaCaller | undefined,
    fn: (admin: Admin) => Promise<T>,
    group?: string,
  ): Promise<T> {
    const callers = this.callers;
    if (as === undefined || callers === undefined) return this.admin.call(fn);
    try {
      return await this.callAs(callers, as, fn);
    } catch (err) {
      // kafkajs reports a refused group only as "Failed to find group coordinator"
      if (
        group !== undefined &&
        err instanceof GatewayError &&
        /group coordinator/i.test(err.message) &&
        (await this.factory.groupAccessDenied(group, as).catch(() => false))
      ) {
        throw groupDenied(group);
      }
      throw err;
    }
  }

  private async callAs<T>(
    callers: CallerClientCache<Admin>,
    as: KafkaCaller,
    fn: (admin: Admin) => Promise<T>,
  ): Promise<T> {
    try {
      return await callers.use(as.principal, as.credential, async (admin) => {
        try {
          return await fn(admin);
        } catch (err) {
          // kafkajs keeps a deleted topic in all later metadata requests of a client, and a
          // refused login stays refused: the caller's next call gets a fresh client
          if (isUnknownTopic(err) || isAuthenticationFailure(err)) callers.discard(admin);
          throw err;
        }
      });
    } catch (err) {
      throw this.callerError(err, as);
    }
  }

  private callerError(err: unknown, as: KafkaCaller): GatewayError {
    return toCallerError(err, as.credential.kind === 'bearer' && this.admin.isConnected());
  }

  /** Earliest and log-end offsets of each partition of a topic. */
  async topicOffsets(topic: string, as?: KafkaCaller): Promise<PartitionOffsets[]> {
    const offsets = await this.call(as, (a) => a.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
  }

  /** For each partition, the earliest offset whose timestamp is at or after `timestampMs` (or the end). */
  offsetsForTimestamp(
    topic: string,
    timestampMs: number,
    as?: KafkaCaller,
  ): Promise<{ partition: number; offset: string }[]> {
    return this.call(as, (a) => a.fetchTopicOffsetsByTimestamp(topic, timestampMs));
  }

  /** Committed offsets of a group for some topics; partitions without a commit are left out. */
  async committedOffsets(
    group: string,
    topics: readonly string[],
    as?: KafkaCaller,
  ): Promise<CommittedOffset[]> {
    const result = await this.call(
      as,
      (a) => a.fetchOffsets({ groupId: group, topics: [...new Set(topics)] }),
      group,
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
  async topicNames(as?: KafkaCaller): Promise<string[]> {
    const names = await this.call(as, (a) => a.listTopics());
    return names.filter((t) => !INTERNAL_TOPICS.has(t));
  }

  /**
   * The topic names, from a listing at most `maxAgeMs` old: every consumer adapter checks its
   * topics on the same cadence, so one listing serves them all. A caller's (propagation) is its
   * own, uncached.
   */
  cachedTopicNames(maxAgeMs: number, as?: KafkaCaller): Promise<string[]> {
    if (as !== undefined && this.callers !== undefined) return this.topicNames(as);
    const now = Date.now();
    if (this.listing === undefined || now - this.listing.at >= maxAgeMs) {
      const names = this.topicNames();
      this.listing = { at: now, names };
      // a failed listing is not kept: the next check asks again
      names.catch(() => {
        if (this.listing?.names === names) this.listing = undefined;
      });
    }
    return this.listing.names;
  }

  /** Deletes an empty group and its offsets; a group that does not exist is not an error. */
  async deleteGroup(group: string, as?: KafkaCaller): Promise<void> {
    await this.call(
      as,
      async (a) => {
        try {
          await a.deleteGroups([group]);
        } catch (err) {
          if (!onlyNotFound(err)) throw err;
        }
      },
      group,
    );
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

/** Kafka's GroupAuthorizationException, as the caller's 403/40301. */
function groupDenied(group: string): GatewayError {
  return new GatewayError('kafka_authorization_failed', `Not authorized to access group: ${group}`);
}
