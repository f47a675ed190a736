import { Authorizer, type Caller, topic } from '@kafka-gateway/server-kit';
import { Injectable } from '@nestjs/common';
import { Errors, GatewayError } from '@kafka-gateway/server-kit';
import {
  KafkaAdminService,
  type PartitionReassignmentInfo,
  type TopicConfigEntry,
} from '../kafka/kafka-admin.service';
import {
  findPartition,
  isInternalTopic,
  type PartitionInfo,
  TopicMetadataService,
  type TopicPartitions,
} from '../kafka/topic-metadata.service';
import { parseCreateTopic, parsePatchTopic } from './admin-requests.parser';
import { ClustersService } from './clusters.service';
import { type ConfigFields, configFields, OwnedConfigs } from './config-resources';
import {
  collection,
  type Relationship,
  resource,
  type V3Collection,
  type V3Links,
  type V3Resource,
} from './v3-resources';

export interface TopicData {
  cluster_id: string;
  topic_name: string;
  is_internal: boolean;
  replication_factor: number;
  partitions_count: number;
  partitions: Relationship;
  configs: Relationship;
  partition_reassignments: Relationship;
}

export interface PartitionData {
  cluster_id: string;
  topic_name: string;
  partition_id: number;
  leader?: Relationship;
  replicas: Relationship;
  reassignment: Relationship;
}

export interface ReplicaData {
  cluster_id: string;
  topic_name: string;
  partition_id: number;
  broker_id: number;
  is_leader: boolean;
  is_in_sync: boolean;
  broker: Relationship;
}

export type TopicConfigData = { cluster_id: string; topic_name: string } & ConfigFields;

export interface ReassignmentData {
  cluster_id: string;
  topic_name: string;
  partition_id: number;
  adding_replicas: number[];
  removing_replicas: number[];
  replicas: Relationship;
}

export interface CreatedTopic {
  /** 201 when created, 200 for a validate_only dry run. */
  readonly status: 200 | 201;
  readonly location: string;
  readonly body: V3Resource<TopicData>;
}

/** v3 topics, partitions, replicas and topic configs. */
@Injectable()
export class TopicsService {
  constructor(
    private readonly clusters: ClustersService,
    private readonly metadata: TopicMetadataService,
    private readonly admin: KafkaAdminService,
    private readonly authz: Authorizer,
  ) {}

  /** The topics the caller may describe (all of them without a policy). */
  async listTopics(
    base: string,
    clusterId: string,
    caller: Caller,
  ): Promise<V3Collection<V3Resource<TopicData>>> {
    const links = await this.clusters.links(base, clusterId);
    const names = this.authz.filter(
      caller.principal,
      'describe',
      'topic',
      await this.metadata.listTopics(),
      (n) => n,
    );
    const topics = await Promise.all(names.map((n) => this.metadata.cachedPartitions(n)));
    const data: V3Resource<TopicData>[] = [];
    names.forEach((name, i) => {
      const partitions = topics[i];
      if (partitions !== undefined) data.push(topicData(links, { name, partitions }));
    });
    return collection('KafkaTopicList', links.url('topics'), data);
  }

  async getTopic(base: string, clusterId: string, topic: string): Promise<V3Resource<TopicData>> {
    const links = await this.clusters.links(base, clusterId);
    return topicData(links, await this.metadata.requireTopic(topic));
  }

  /** Needs `create` on the topic the body names (checked before anything reaches Kafka). */
  async createTopic(
    base: string,
    clusterId: string,
    body: unknown,
    caller: Caller,
  ): Promise<CreatedTopic> {
    const links = await this.clusters.links(base, clusterId);
    const request = parseCreateTopic(body);
    this.authz.require(caller, 'create', topic(request.name));
    await this.admin.createTopic(request);
    const location = links.url('topics', request.name);
    if (request.validateOnly) {
      // Nothing exists to describe: answer what would have been created, as Confluent does.
      const partitions =
        request.replicasAssignments?.size ?? Math.max(request.partitionsCount ?? 1, 1);
      const rf =
        request.replicasAssignments?.values().next().value?.length ??
        Math.max(request.replicationFactor ?? 1, 1);
      return {
        status: 200,
        location,
        body: topicResource(links, request.name, partitions, rf),
      };
    }
    const created = await this.metadata.requireTopic(request.name);
    return { status: 201, location, body: topicData(links, created) };
  }

  /**
   * `PATCH .../topics/{t}` `{"partitions_count": N}`: adds partitions. Kafka cannot remove
   * partitions; a count that is not higher is refused with 400/40002 and Kafka's own words.
   */
  async patchTopic(
    base: string,
    clusterId: string,
    topic: string,
    body: unknown,
  ): Promise<V3Resource<TopicData>> {
    const links = await this.clusters.links(base, clusterId);
    const { partitionsCount } = parsePatchTopic(body);
    const current = (await this.metadata.requireTopic(topic)).partitions.length;
    if (partitionsCount === current)
      throw new GatewayError('kafka_bad_request', `Topic already has ${current} partitions.`);
    if (partitionsCount < current) {
      throw new GatewayError(
        'kafka_bad_request',
        `Topic currently has ${current} partitions, which is higher than the requested ${partitionsCount}.`,
      );
    }
    await this.admin.createPartitions(topic, partitionsCount);
    return topicData(links, await this.metadata.requireTopic(topic));
  }

  /** `GET .../topics/-/partitions/-/reassignment` (every topic) or `.../topics/{t}/partitions/-/reassignment`. */
  async listReassignments(
    base: string,
    clusterId: string,
    topic: string | undefined,
  ): Promise<V3Collection<V3Resource<ReassignmentData>>> {
    const links = await this.clusters.links(base, clusterId);
    const ongoing = await this.admin.partitionReassignments(topic);
    const self = `${links.url('topics', topic ?? '-', 'partitions')}/-/reassignment`;
    return collection(
      'KafkaReassignmentList',
      self,
      ongoing.map((r) => reassignmentData(links, r)),
    );
  }

  /** `GET .../topics/{t}/partitions/{p}/reassignment`: 404 when none is in progress, as Confluent. */
  async getReassignment(
    base: string,
    clusterId: string,
    topic: string,
    partition: number,
  ): Promise<V3Resource<ReassignmentData>> {
    const links = await this.clusters.links(base, clusterId);
    requirePartition(await this.metadata.requireTopic(topic), partition);
    const found = (await this.admin.partitionReassignments(topic)).find(
      (r) => r.partition === partition,
    );
    if (found === undefined)
      throw new GatewayError(
        'reassignment_not_found',
        `No reassignment in progress for partition ${partition} of topic ${topic}.`,
      );
    return reassignmentData(links, found);
  }

  async deleteTopic(base: string, clusterId: string, topic: string): Promise<void> {
    await this.clusters.links(base, clusterId);
    await this.metadata.requireTopic(topic);
    await this.admin.deleteTopic(topic);
  }

  async listPartitions(
    base: string,
    clusterId: string,
    topic: string,
  ): Promise<V3Collection<V3Resource<PartitionData>>> {
    const links = await this.clusters.links(base, clusterId);
    const meta = await this.metadata.requireTopic(topic);
    return collection(
      'KafkaPartitionList',
      links.url('topics', topic, 'partitions'),
      meta.partitions.map((p) => partitionData(links, topic, p)),
    );
  }

  async getPartition(
    base: string,
    clusterId: string,
    topic: string,
    partition: number,
  ): Promise<V3Resource<PartitionData>> {
    const links = await this.clusters.links(base, clusterId);
    const p = requirePartition(await this.metadata.requireTopic(topic), partition);
    return partitionData(links, topic, p);
  }

  async listReplicas(
    base: string,
    clusterId: string,
    topic: string,
    partition: number,
  ): Promise<V3Collection<V3Resource<ReplicaData>>> {
    const links = await this.clusters.links(base, clusterId);
    const p = requirePartition(await this.metadata.requireTopic(topic), partition);
    return collection(
      'KafkaReplicaList',
      links.url('topics', topic, 'partitions', partition, 'replicas'),
      p.replicas.map((b) => replicaData(links, topic, p, b)),
    );
  }

  async getReplica(
    base: string,
    clusterId: string,
    topic: string,
    partition: number,
    brokerId: number,
  ): Promise<V3Resource<ReplicaData>> {
    const links = await this.clusters.links(base, clusterId);
    const p = requirePartition(await this.metadata.requireTopic(topic), partition);
    if (!p.replicas.includes(brokerId))
      throw new GatewayError('broker_not_found', `Replica ${brokerId} cannot be found.`);
    return replicaData(links, topic, p, brokerId);
  }

  async listConfigs(
    base: string,
    clusterId: string,
    topic: string,
  ): Promise<V3Collection<V3Resource<TopicConfigData>>> {
    const links = await this.clusters.links(base, clusterId);
    const entries = await this.topicConfigs(topic).list();
    return collection(
      'KafkaTopicConfigList',
      links.url('topics', topic, 'configs'),
      entries.map((e) => configData(links, topic, e)),
    );
  }

  async getConfig(
    base: string,
    clusterId: string,
    topic: string,
    name: string,
  ): Promise<V3Resource<TopicConfigData>> {
    const links = await this.clusters.links(base, clusterId);
    return configData(links, topic, await this.topicConfigs(topic).get(name));
  }

  async updateConfig(
    base: string,
    clusterId: string,
    topic: string,
    name: string,
    body: unknown,
  ): Promise<void> {
    await this.clusters.links(base, clusterId);
    await this.topicConfigs(topic).update(name, body);
  }

  async resetConfig(base: string, clusterId: string, topic: string, name: string): Promise<void> {
    await this.clusters.links(base, clusterId);
    await this.topicConfigs(topic).reset(name);
  }

  async alterConfigs(base: string, clusterId: string, topic: string, body: unknown): Promise<void> {
    await this.clusters.links(base, clusterId);
    await this.topicConfigs(topic).alterMany(body);
  }

  private topicConfigs(topic: string): OwnedConfigs {
    return new OwnedConfigs({
      requireExists: async () => {
        await this.metadata.requireTopic(topic);
      },
      entries: () => this.admin.topicConfigs(topic),
      alter: (changes, validateOnly) => this.admin.alterTopicConfigs(topic, changes, validateOnly),
      notFound: (name) =>
        new GatewayError(
          'topic_config_not_found',
          `Config ${name} cannot be found for topic ${topic}.`,
        ),
    });
  }
}

function requirePartition(meta: TopicPartitions, partition: number): PartitionInfo {
  const p = findPartition(meta, partition);
  if (p === undefined) throw Errors.unknownTopicOrPartition();
  return p;
}

function topicData(links: V3Links, meta: TopicPartitions): V3Resource<TopicData> {
  return topicResource(
    links,
    meta.name,
    meta.partitions.length,
    meta.partitions[0]?.replicas.length ?? 0,
  );
}

function topicResource(
  links: V3Links,
  name: string,
  partitions: number,
  replicationFactor: number,
): V3Resource<TopicData> {
  return resource('KafkaTopic', links.url('topics', name), links.crn(['topic', name]), {
    cluster_id: links.clusterId,
    topic_name: name,
    is_internal: isInternalTopic(name),
    replication_factor: replicationFactor,
    partitions_count: partitions,
    partitions: links.related('topics', name, 'partitions'),
    configs: links.related('topics', name, 'configs'),
    partition_reassignments: {
      related: `${links.url('topics', name, 'partitions')}/-/reassignment`,
    },
  });
}

function partitionData(links: V3Links, topic: string, p: PartitionInfo): V3Resource<PartitionData> {
  const id = p.partitionId;
  return resource(
    'KafkaPartition',
    links.url('topics', topic, 'partitions', id),
    links.crn(['topic', topic], ['partition', id]),
    {
      cluster_id: links.clusterId,
      topic_name: topic,
      partition_id: id,
      ...(p.leader >= 0
        ? { leader: links.related('topics', topic, 'partitions', id, 'replicas', p.leader) }
        : {}),
      replicas: links.related('topics', topic, 'partitions', id, 'replicas'),
      reassignment: links.related('topics', topic, 'partitions', id, 'reassignment'),
    },
  );
}

function reassignmentData(
  links: V3Links,
  r: PartitionReassignmentInfo,
): V3Resource<ReassignmentData> {
  return resource(
    'KafkaReassignment',
    links.url('topics', r.topic, 'partitions', r.partition, 'reassignment'),
    links.crn(['topic', r.topic], ['partition', r.partition], ['reassignment', r.partition]),
    {
      cluster_id: links.clusterId,
      topic_name: r.topic,
      partition_id: r.partition,
      adding_replicas: [...r.addingReplicas],
      removing_replicas: [...r.removingReplicas],
      replicas: links.related('topics', r.topic, 'partitions', r.partition, 'replicas'),
    },
  );
}

function replicaData(
  links: V3Links,
  topic: string,
  p: PartitionInfo,
  brokerId: number,
): V3Resource<ReplicaData> {
  const id = p.partitionId;
  return resource(
    'KafkaReplica',
    links.url('topics', topic, 'partitions', id, 'replicas', brokerId),
    links.crn(['topic', topic], ['partition', id], ['replica', brokerId]),
    {
      cluster_id: links.clusterId,
      topic_name: topic,
      partition_id: id,
      broker_id: brokerId,
      is_leader: p.leader === brokerId,
      is_in_sync: p.isr.includes(brokerId),
      broker: links.related('brokers', brokerId),
    },
  );
}

function configData(
  links: V3Links,
  topic: string,
  e: TopicConfigEntry,
): V3Resource<TopicConfigData> {
  return resource(
    'KafkaTopicConfig',
    links.url('topics', topic, 'configs', e.name),
    links.crn(['topic', topic], ['config', e.name]),
    { cluster_id: links.clusterId, topic_name: topic, ...configFields(e) },
  );
}
