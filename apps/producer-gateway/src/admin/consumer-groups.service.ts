import { Authorizer, type Caller } from '@kafka-gateway/server-kit';
import { Injectable } from '@nestjs/common';
import { GatewayError } from '@kafka-gateway/server-kit';
import { type GroupInfo, type GroupMember, KafkaAdminService } from '../kafka/kafka-admin.service';
import { ClustersService } from './clusters.service';
import {
  collection,
  type Relationship,
  resource,
  type V3Collection,
  type V3Links,
  type V3Resource,
} from './v3-resources';

export interface ConsumerGroupData {
  cluster_id: string;
  consumer_group_id: string;
  is_simple: boolean;
  partition_assignor: string;
  state: string;
  type: string;
  is_mixed_consumer_group: boolean;
  consumers: Relationship;
  lag_summary: Relationship;
}

export interface ConsumerData {
  cluster_id: string;
  consumer_group_id: string;
  consumer_id: string;
  instance_id: string | null;
  client_id: string;
  assignments: Relationship;
}

export interface ConsumerAssignmentData {
  cluster_id: string;
  consumer_group_id: string;
  consumer_id: string;
  topic_name: string;
  partition_id: number;
  partition: Relationship;
  lag: Relationship;
}

export interface ConsumerLagData {
  cluster_id: string;
  consumer_group_id: string;
  topic_name: string;
  partition_id: number;
  current_offset: number;
  log_end_offset: number;
  lag: number;
  consumer_id: string;
  instance_id: string | null;
  client_id: string;
}

export interface LagSummaryData {
  cluster_id: string;
  consumer_group_id: string;
  max_lag_consumer_id: string;
  max_lag_instance_id: string | null;
  max_lag_client_id: string;
  max_lag_topic_name: string;
  max_lag_partition_id: number;
  max_lag: number;
  total_lag: number;
  max_lag_consumer: Relationship;
  max_lag_partition: Relationship;
}

interface Lag {
  topic: string;
  partition: number;
  current: number;
  logEnd: number;
  lag: number;
  owner: GroupMember | undefined;
}

/** v3 consumer groups, their consumers and assignments, and lag computed from commits. */
@Injectable()
export class ConsumerGroupsService {
  constructor(
    private readonly clusters: ClustersService,
    private readonly admin: KafkaAdminService,
    private readonly authz: Authorizer,
  ) {}

  async listGroups(
    base: string,
    clusterId: string,
    caller: Caller,
  ): Promise<V3Collection<V3Resource<ConsumerGroupData>>> {
    const links = await this.clusters.links(base, clusterId);
    // only the groups the caller may describe are described at all
    const ids = this.authz.filter(
      caller.principal,
      'describe',
      'group',
      await this.admin.listGroupIds(),
      (g) => g,
    );
    const groups = await this.admin.describeGroups(ids);
    return collection(
      'KafkaConsumerGroupList',
      links.url('consumer-groups'),
      groups.filter((g): g is GroupInfo => g !== undefined).map((g) => groupData(links, g)),
    );
  }

  async getGroup(
    base: string,
    clusterId: string,
    groupId: string,
  ): Promise<V3Resource<ConsumerGroupData>> {
    const links = await this.clusters.links(base, clusterId);
    return groupData(links, await this.requireGroup(groupId));
  }

  async listConsumers(
    base: string,
    clusterId: string,
    groupId: string,
  ): Promise<V3Collection<V3Resource<ConsumerData>>> {
    const links = await this.clusters.links(base, clusterId);
    const group = await this.requireGroup(groupId);
    return collection(
      'KafkaConsumerList',
      links.url('consumer-groups', groupId, 'consumers'),
      sortedMembers(group).map((m) => consumerData(links, groupId, m)),
    );
  }

  async getConsumer(
    base: string,
    clusterId: string,
    groupId: string,
    consumerId: string,
  ): Promise<V3Resource<ConsumerData>> {
    const links = await this.clusters.links(base, clusterId);
    return consumerData(links, groupId, await this.requireMember(groupId, consumerId));
  }

  async listAssignments(
    base: string,
    clusterId: string,
    groupId: string,
    consumerId: string,
  ): Promise<V3Collection<V3Resource<ConsumerAssignmentData>>> {
    const links = await this.clusters.links(base, clusterId);
    const member = await this.requireMember(groupId, consumerId);
    const assignments = [...member.assignments].sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
    return collection(
      'KafkaConsumerAssignmentList',
      links.url('consumer-groups', groupId, 'consumers', consumerId, 'assignments'),
      assignments.map((a) =>
        resource(
          'KafkaConsumerAssignment',
          links.url(
            'consumer-groups',
            groupId,
            'consumers',
            consumerId,
            'assignments',
            a.topic,
            'partitions',
            a.partition,
          ),
          links.crn(
            ['consumer-group', groupId],
            ['consumer', consumerId],
            ['assignment', a.topic],
            ['partition', a.partition],
          ),
          {
            cluster_id: links.clusterId,
            consumer_group_id: groupId,
            consumer_id: consumerId,
            topic_name: a.topic,
            partition_id: a.partition,
            partition: links.related('topics', a.topic, 'partitions', a.partition),
            lag: links.related(
              'consumer-groups',
              groupId,
              'lags',
              a.topic,
              'partitions',
              a.partition,
            ),
          },
        ),
      ),
    );
  }

  async listLags(
    base: string,
    clusterId: string,
    groupId: string,
    caller: Caller,
  ): Promise<V3Collection<V3Resource<ConsumerLagData>>> {
    const links = await this.clusters.links(base, clusterId);
    // the guard checked the group; lags of topics the caller may not describe are left out
    const lags = this.authz.filter(
      caller.principal,
      'describe',
      'topic',
      await this.lags(groupId),
      (l) => l.topic,
    );
    return collection(
      'KafkaConsumerLagList',
      links.url('consumer-groups', groupId, 'lags'),
      lags.map((l) => lagData(links, groupId, l)),
    );
  }

  async getLag(
    base: string,
    clusterId: string,
    groupId: string,
    topic: string,
    partition: number,
  ): Promise<V3Resource<ConsumerLagData>> {
    const links = await this.clusters.links(base, clusterId);
    const lag = (await this.lags(groupId)).find(
      (l) => l.topic === topic && l.partition === partition,
    );
    if (lag === undefined)
      throw new GatewayError('consumer_lag_not_found', 'Consumer lag not found.');
    return lagData(links, groupId, lag);
  }

  async lagSummary(
    base: string,
    clusterId: string,
    groupId: string,
  ): Promise<V3Resource<LagSummaryData>> {
    const links = await this.clusters.links(base, clusterId);
    const lags = await this.lags(groupId);
    const max = lags[0]!; // lags() never answers an empty list; sorted by lag, largest first
    const total = lags.reduce((sum, l) => sum + l.lag, 0);
    const maxConsumerId = max.owner?.memberId ?? '';
    return resource(
      'KafkaConsumerGroupLagSummary',
      links.url('consumer-groups', groupId, 'lag-summary'),
      links.crn(['consumer-group', groupId], ['lag-summary', groupId]),
      {
        cluster_id: links.clusterId,
        consumer_group_id: groupId,
        max_lag_consumer_id: maxConsumerId,
        max_lag_instance_id: null,
        max_lag_client_id: max.owner?.clientId ?? '',
        max_lag_topic_name: max.topic,
        max_lag_partition_id: max.partition,
        max_lag: max.lag,
        total_lag: total,
        max_lag_consumer: links.related('consumer-groups', groupId, 'consumers', maxConsumerId),
        max_lag_partition: links.related('topics', max.topic, 'partitions', max.partition),
      },
    );
  }

  /**
   * Lag of every partition the group committed an offset for: log-end offset minus committed
   * offset, with the member that owns the partition now (empty ids when none does). Sorted by
   * lag (largest first), then topic and partition, as Confluent sorts them.
   */
  private async lags(groupId: string): Promise<Lag[]> {
    const group = await this.requireGroup(groupId);
    const committed = await this.admin.committedOffsets(groupId);
    if (committed.length === 0) {
      throw new GatewayError(
        'consumer_lag_not_found',
        'Consumer group offsets could not be found.',
      );
    }
    const logEnd = await this.admin.logEndOffsets([...new Set(committed.map((c) => c.topic))]);
    const owners = new Map<string, GroupMember>();
    for (const m of group.members)
      for (const a of m.assignments) owners.set(`${a.topic}\u0000${a.partition}`, m);
    const lags = committed.map((c): Lag => {
      const end = logEnd.get(c.topic)?.get(c.partition) ?? c.offset;
      return {
        topic: c.topic,
        partition: c.partition,
        current: c.offset,
        logEnd: end,
        lag: Math.max(0, end - c.offset),
        owner: owners.get(`${c.topic}\u0000${c.partition}`),
      };
    });
    return lags.sort(
      (a, b) =>
        b.lag - a.lag ||
        (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0) ||
        a.partition - b.partition,
    );
  }

  private async requireGroup(groupId: string): Promise<GroupInfo> {
    const [group] = await this.admin.describeGroups([groupId]);
    if (group === undefined) {
      throw new GatewayError(
        'consumer_group_not_found',
        `Consumer group ${groupId} cannot be found.`,
      );
    }
    return group;
  }

  private async requireMember(groupId: string, consumerId: string): Promise<GroupMember> {
    const member = (await this.requireGroup(groupId)).members.find(
      (m) => m.memberId === consumerId,
    );
    if (member === undefined)
      throw new GatewayError('consumer_not_found', `Consumer ${consumerId} cannot be found.`);
    return member;
  }
}

function sortedMembers(group: GroupInfo): GroupMember[] {
  return [...group.members].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
  );
}

function groupData(links: V3Links, g: GroupInfo): V3Resource<ConsumerGroupData> {
  return resource(
    'KafkaConsumerGroup',
    links.url('consumer-groups', g.groupId),
    links.crn(['consumer-group', g.groupId]),
    {
      cluster_id: links.clusterId,
      consumer_group_id: g.groupId,
      // a group whose members never joined (offsets committed by assign()) has no protocol type
      is_simple: g.protocolType === '',
      partition_assignor: g.partitionAssignor,
      state: g.state,
      type: 'CLASSIC',
      is_mixed_consumer_group: false,
      consumers: links.related('consumer-groups', g.groupId, 'consumers'),
      lag_summary: links.related('consumer-groups', g.groupId, 'lag-summary'),
    },
  );
}

function consumerData(links: V3Links, groupId: string, m: GroupMember): V3Resource<ConsumerData> {
  return resource(
    'KafkaConsumer',
    links.url('consumer-groups', groupId, 'consumers', m.memberId),
    links.crn(['consumer-group', groupId], ['consumer', m.memberId]),
    {
      cluster_id: links.clusterId,
      consumer_group_id: groupId,
      consumer_id: m.memberId,
      instance_id: null,
      client_id: m.clientId,
      assignments: links.related(
        'consumer-groups',
        groupId,
        'consumers',
        m.memberId,
        'assignments',
      ),
    },
  );
}

function lagData(links: V3Links, groupId: string, l: Lag): V3Resource<ConsumerLagData> {
  return resource(
    'KafkaConsumerLag',
    links.url('consumer-groups', groupId, 'lags', l.topic, 'partitions', l.partition),
    links.crn(['consumer-group', groupId], ['lag', l.topic], ['partition', l.partition]),
    {
      cluster_id: links.clusterId,
      consumer_group_id: groupId,
      topic_name: l.topic,
      partition_id: l.partition,
      current_offset: l.current,
      log_end_offset: l.logEnd,
      lag: l.lag,
      consumer_id: l.owner?.memberId ?? '',
      instance_id: null,
      client_id: l.owner?.clientId ?? '',
    },
  );
}
