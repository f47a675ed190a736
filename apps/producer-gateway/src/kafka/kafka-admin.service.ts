import { Injectable } from '@nestjs/common';
import { GatewayError, ManagedAdmin } from '@kafka-gateway/server-kit';
import {
  type AclFilter,
  AssignerProtocol,
  type ConfigResourceTypes,
  type ConfigSource,
  type ITopicConfig,
} from 'kafkajs';
import { TopicMetadataService } from './topic-metadata.service';

const TOPIC_RESOURCE = 2 as ConfigResourceTypes; // ConfigResourceTypes.TOPIC (a const enum)
const BROKER_RESOURCE = 4 as ConfigResourceTypes; // ConfigResourceTypes.BROKER
const DYNAMIC_TOPIC_CONFIG = 1 as ConfigSource; // ConfigSource.TOPIC_CONFIG
const DYNAMIC_BROKER_CONFIG = 2 as ConfigSource; // ConfigSource.DYNAMIC_BROKER_CONFIG

/** Kafka's ACL enums (kafkajs' const enums) under the names Confluent's v3 API uses. */
const ACL_RESOURCE_TYPES = [
  'UNKNOWN',
  'ANY',
  'TOPIC',
  'GROUP',
  'CLUSTER',
  'TRANSACTIONAL_ID',
  'DELEGATION_TOKEN',
] as const;
const ACL_PATTERN_TYPES = ['UNKNOWN', 'ANY', 'MATCH', 'LITERAL', 'PREFIXED'] as const;
const ACL_OPERATIONS = [
  'UNKNOWN',
  'ANY',
  'ALL',
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'ALTER',
  'DESCRIBE',
  'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE',
] as const;
const ACL_PERMISSIONS = ['UNKNOWN', 'ANY', 'DENY', 'ALLOW'] as const;

export type AclResourceType = (typeof ACL_RESOURCE_TYPES)[number];
export type AclPatternType = (typeof ACL_PATTERN_TYPES)[number];
export type AclOperation = (typeof ACL_OPERATIONS)[number];
export type AclPermission = (typeof ACL_PERMISSIONS)[number];
export const ACL_NAMES = {
  resourceType: ACL_RESOURCE_TYPES,
  patternType: ACL_PATTERN_TYPES,
  operation: ACL_OPERATIONS,
  permission: ACL_PERMISSIONS,
} as const;

/** One ACL binding; as a filter, undefined strings match any value. */
export interface AclBinding {
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly patternType: AclPatternType;
  readonly principal: string;
  readonly host: string;
  readonly operation: AclOperation;
  readonly permission: AclPermission;
}

export interface AclFilterSpec {
  readonly resourceType: AclResourceType;
  readonly resourceName: string | undefined;
  readonly patternType: AclPatternType;
  readonly principal: string | undefined;
  readonly host: string | undefined;
  readonly operation: AclOperation;
  readonly permission: AclPermission;
}

export interface PartitionReassignmentInfo {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

/** Kafka's config sources under the names Confluent's v3 API uses. */
const CONFIG_SOURCES: readonly string[] = [
  'UNKNOWN',
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
];

export interface BrokerInfo {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
}

export interface ClusterInfo {
  readonly clusterId: string;
  readonly controllerId: number | null;
  readonly brokers: readonly BrokerInfo[];
}

export interface NewTopic {
  readonly name: string;
  readonly partitionsCount: number | undefined;
  readonly replicationFactor: number | undefined;
  readonly replicasAssignments: ReadonlyMap<number, readonly number[]> | undefined;
  readonly configs: readonly { name: string; value: string | null }[];
  readonly validateOnly: boolean;
}

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: string;
}

/** A config of a topic or a broker (or the cluster-wide broker defaults). */
export type ConfigEntry = TopicConfigEntry;

export interface TopicConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly isDefault: boolean;
  readonly isReadOnly: boolean;
  readonly isSensitive: boolean;
  readonly source: string;
  readonly synonyms: readonly ConfigSynonym[];
}

export interface ConfigChange {
  readonly name: string;
  readonly operation: 'SET' | 'DELETE';
  readonly value: string | null;
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  readonly assignments: readonly { topic: string; partition: number }[];
}

export interface GroupInfo {
  readonly groupId: string;
  /** Kafka's state in Confluent's spelling (STABLE, EMPTY, PREPARING_REBALANCE, ...). */
  readonly state: string;
  readonly protocolType: string;
  readonly partitionAssignor: string;
  readonly members: readonly GroupMember[];
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** Earliest offset. */
  readonly low: string;
  /** Log-end offset. */
  readonly high: string;
}

/**
 * Administrative Kafka queries (cluster, topics, configs, offsets, consumer groups) over the
 * process's managed admin client. kafkajs errors leave as GatewayErrors.
 */
@Injectable()
export class KafkaAdminService {
  private clusterId: string | undefined;

  constructor(
    private readonly admin: ManagedAdmin,
    private readonly metadata: TopicMetadataService,
  ) {}

  async cluster(): Promise<ClusterInfo> {
    const c = await this.admin.call((a) => a.describeCluster());
    this.clusterId = c.clusterId;
    return {
      clusterId: c.clusterId,
      controllerId: c.controller,
      brokers: c.brokers
        .map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port }))
        .sort((a, b) => a.brokerId - b.brokerId),
    };
  }

  /** The cluster id, asked once (it never changes for a running cluster). */
  async currentClusterId(): Promise<string> {
    return this.clusterId ?? (await this.cluster()).clusterId;
  }

  async createTopic(t: NewTopic): Promise<void> {
    const config: ITopicConfig = {
      topic: t.name,
      configEntries: t.configs
        .filter((c): c is { name: string; value: string } => c.value !== null)
        .map((c) => ({ name: c.name, value: c.value })),
    };
    if (t.replicasAssignments !== undefined) {
      config.replicaAssignment = [...t.replicasAssignments].map(([partition, replicas]) => ({
        partition,
        replicas: [...replicas],
      }));
    } else {
      if (t.partitionsCount !== undefined) config.numPartitions = t.partitionsCount;
      if (t.replicationFactor !== undefined) config.replicationFactor = t.replicationFactor;
    }
    const created = await this.admin.call((a) =>
      a.createTopics({
        topics: [config],
        validateOnly: t.validateOnly,
        waitForLeaders: !t.validateOnly,
      }),
    );
    this.metadata.invalidate();
    // kafkajs swallows TOPIC_ALREADY_EXISTS and answers false
    if (!created) {
      throw new GatewayError('kafka_bad_request', `Topic '${t.name}' already exists.`);
    }
  }

  async deleteTopic(name: string): Promise<void> {
    await this.admin.call((a) => a.deleteTopics({ topics: [name] }));
    this.metadata.topicDeleted(name);
  }

  /** Every config of a topic (defaults included) with its source and synonyms, sorted by name. */
  topicConfigs(topic: string): Promise<TopicConfigEntry[]> {
    return this.describeConfigs(TOPIC_RESOURCE, topic);
  }

  /** Every config of one broker (defaults included), sorted by name. */
  brokerConfigs(brokerId: number): Promise<ConfigEntry[]> {
    return this.describeConfigs(BROKER_RESOURCE, String(brokerId));
  }

  /**
   * The cluster-wide dynamic broker defaults. Kafka keeps them on the BROKER resource with an
   * empty name, which kafkajs refuses to address (its admin requires a non-empty name), so they
   * are read as what every broker reports them as: the DYNAMIC_DEFAULT_BROKER_CONFIG synonym of
   * its configs (asked of the broker with the lowest id).
   */
  async clusterConfigs(): Promise<ConfigEntry[]> {
    const [first] = await this.brokerIds();
    if (first === undefined) return [];
    const found = new Map<string, ConfigEntry>();
    for (const e of await this.brokerConfigs(first)) {
      const i = e.synonyms.findIndex((s) => s.source === 'DYNAMIC_DEFAULT_BROKER_CONFIG');
      const synonym = e.synonyms[i];
      if (synonym === undefined || found.has(synonym.name)) continue;
      found.set(synonym.name, {
        name: synonym.name,
        value: synonym.value,
        isDefault: false,
        isReadOnly: false,
        isSensitive: e.isSensitive,
        source: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
        synonyms: e.synonyms.slice(i),
      });
    }
    return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private async describeConfigs(type: ConfigResourceTypes, name: string): Promise<ConfigEntry[]> {
    const { resources } = await this.admin.call((a) =>
      a.describeConfigs({ resources: [{ type, name }], includeSynonyms: true }),
    );
    const entries = resources[0]?.configEntries ?? [];
    return entries
      .map((e) => ({
        name: e.configName,
        value: e.isSensitive ? null : (e.configValue ?? null),
        isDefault: e.isDefault,
        isReadOnly: e.readOnly,
        isSensitive: e.isSensitive,
        source: configSource(e.configSource),
        synonyms: (e.configSynonyms ?? []).map((s) => ({
          name: s.configName,
          value: e.isSensitive ? null : (s.configValue ?? null),
          source: configSource(s.configSource),
        })),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Applies SET/DELETE changes to a topic's configs. kafkajs only speaks the non-incremental
   * AlterConfigs, which replaces every dynamic config of the topic, so the current dynamic
   * configs are read first and sent back with the changes merged in. Two concurrent alters of
   * the same topic can therefore lose one another's change (see docs/api-compatibility.md).
   */
  alterTopicConfigs(
    topic: string,
    changes: readonly ConfigChange[],
    validateOnly: boolean,
  ): Promise<void> {
    return this.alterConfigs(TOPIC_RESOURCE, topic, DYNAMIC_TOPIC_CONFIG, changes, validateOnly);
  }

  /**
   * SET/DELETE changes to one broker's dynamic configs, read-modify-write as for topics. A
   * sensitive dynamic config (a password) cannot be read back, so AlterConfigs would erase it:
   * such a broker is refused (400) instead of silently losing its secret.
   */
  alterBrokerConfigs(
    brokerId: number,
    changes: readonly ConfigChange[],
    validateOnly: boolean,
  ): Promise<void> {
    return this.alterConfigs(
      BROKER_RESOURCE,
      String(brokerId),
      DYNAMIC_BROKER_CONFIG,
      changes,
      validateOnly,
    );
  }

  private async alterConfigs(
    type: ConfigResourceTypes,
    name: string,
    dynamicSource: ConfigSource,
    changes: readonly ConfigChange[],
    validateOnly: boolean,
  ): Promise<void> {
    const { resources } = await this.admin.call((a) =>
      a.describeConfigs({ resources: [{ type, name }], includeSynonyms: false }),
    );
    const dynamic = new Map<string, string>();
    for (const e of resources[0]?.configEntries ?? []) {
      if (e.configSource !== dynamicSource) continue;
      if (e.isSensitive && type === BROKER_RESOURCE) {
        throw new GatewayError(
          'kafka_bad_request',
          `Dynamic config ${e.configName} is sensitive and cannot be preserved by a full AlterConfigs; change these configs with kafka-configs.sh`,
        );
      }
      if (!e.isSensitive && e.configValue !== null) dynamic.set(e.configName, e.configValue);
    }
    for (const c of changes) {
      if (c.operation === 'DELETE' || c.value === null) dynamic.delete(c.name);
      else dynamic.set(c.name, c.value);
    }
    await this.admin.call((a) =>
      a.alterConfigs({
        validateOnly,
        resources: [
          { type, name, configEntries: [...dynamic].map(([n, value]) => ({ name: n, value })) },
        ],
      }),
    );
  }

  /** Raises a topic's partition count to `count` (Kafka refuses a decrease itself). */
  async createPartitions(topic: string, count: number): Promise<void> {
    await this.admin.call((a) => a.createPartitions({ topicPartitions: [{ topic, count }] }));
    this.metadata.invalidate();
  }

  /** Ongoing partition reassignments, of every topic or of one. */
  async partitionReassignments(topic?: string): Promise<PartitionReassignmentInfo[]> {
    let request: { topics?: { topic: string; partitions: number[] }[] } = {};
    if (topic !== undefined) {
      const meta = await this.metadata.requireTopic(topic);
      request = {
        topics: [{ topic, partitions: meta.partitions.map((p) => p.partitionId) }],
      };
    }
    const { topics } = await this.admin.call((a) => a.listPartitionReassignments(request));
    const out: PartitionReassignmentInfo[] = [];
    for (const t of topics) {
      for (const p of t.partitions) {
        out.push({
          topic: t.topic,
          partition: p.partitionIndex,
          replicas: p.replicas,
          addingReplicas: p.addingReplicas ?? [],
          removingReplicas: p.removingReplicas ?? [],
        });
      }
    }
    return out.sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
  }

  async describeAcls(filter: AclFilterSpec): Promise<AclBinding[]> {
    const { resources } = await this.admin.call((a) => a.describeAcls(toKafkaAclFilter(filter)));
    return resources.flatMap((r) => r.acls.map((acl) => aclBinding({ ...r, ...acl })));
  }

  async createAcl(acl: AclBinding): Promise<void> {
    await this.admin.call((a) =>
      a.createAcls({
        acl: [
          {
            resourceType: ACL_RESOURCE_TYPES.indexOf(acl.resourceType),
            resourceName: acl.resourceName,
            resourcePatternType: ACL_PATTERN_TYPES.indexOf(acl.patternType),
            principal: acl.principal,
            host: acl.host,
            operation: ACL_OPERATIONS.indexOf(acl.operation),
            permissionType: ACL_PERMISSIONS.indexOf(acl.permission),
          },
        ],
      }),
    );
  }

  /** Deletes every ACL matching the filter; answers the ACLs deleted. */
  async deleteAcls(filter: AclFilterSpec): Promise<AclBinding[]> {
    const { filterResponses } = await this.admin.call((a) =>
      a.deleteAcls({ filters: [toKafkaAclFilter(filter)] }),
    );
    return filterResponses.flatMap((r) => r.matchingAcls.map(aclBinding));
  }

  async listGroupIds(): Promise<string[]> {
    const { groups } = await this.admin.call((a) => a.listGroups());
    return groups.map((g) => g.groupId).sort();
  }

  /** Descriptions of groups; a group Kafka does not know comes back as undefined. */
  async describeGroups(groupIds: readonly string[]): Promise<(GroupInfo | undefined)[]> {
    if (groupIds.length === 0) return [];
    const { groups } = await this.admin.call((a) => a.describeGroups([...groupIds]));
    const byId = new Map(groups.map((g) => [g.groupId, g]));
    return groupIds.map((id) => {
      const g = byId.get(id);
      // Kafka answers an unknown group with a DEAD group without members or protocol type
      if (g === undefined || (g.state === 'Dead' && g.protocolType === '')) return undefined;
      return {
        groupId: g.groupId,
        state: groupState(g.state),
        protocolType: g.protocolType,
        partitionAssignor: g.protocol,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          host: m.clientHost,
          assignments: decodeAssignment(g.protocolType, m.memberAssignment),
        })),
      };
    });
  }

  /** Committed offsets of a group (partitions without a commit left out). */
  async committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    const topics = await this.admin.call((a) => a.fetchOffsets({ groupId }));
    const out: CommittedOffset[] = [];
    for (const t of topics) {
      for (const p of t.partitions) {
        const offset = Number(p.offset);
        if (offset >= 0) out.push({ topic: t.topic, partition: p.partition, offset });
      }
    }
    return out;
  }

  /** Log-end offsets of the partitions of some topics: `topic` → partition → offset. */
  async logEndOffsets(topics: readonly string[]): Promise<Map<string, Map<number, number>>> {
    const result = new Map<string, Map<number, number>>();
    await Promise.all(
      topics.map(async (topic) => {
        const offsets = await this.admin.call((a) => a.fetchTopicOffsets(topic));
        result.set(topic, new Map(offsets.map((o) => [o.partition, Number(o.high)])));
      }),
    );
    return result;
  }

  /** Earliest and log-end offsets of every partition of a topic. */
  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.admin.call((a) => a.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
  }

  /** Every config of a topic, defaults included, as Confluent's v2 `GET /topics/{t}` shows them. */
  async currentConfigs(topic: string): Promise<Record<string, string>> {
    const { resources } = await this.admin.call((a) =>
      a.describeConfigs({
        resources: [{ type: TOPIC_RESOURCE, name: topic }],
        includeSynonyms: false,
      }),
    );
    const configs: Record<string, string> = {};
    for (const entry of resources[0]?.configEntries ?? []) {
      if (!entry.isSensitive) configs[entry.configName] = entry.configValue;
    }
    return configs;
  }

  /** Ids of the brokers in the cluster, sorted. */
  async brokerIds(): Promise<number[]> {
    return (await this.cluster()).brokers.map((b) => b.brokerId);
  }
}

function toKafkaAclFilter(f: AclFilterSpec): AclFilter {
  const filter: AclFilter = {
    resourceType: ACL_RESOURCE_TYPES.indexOf(f.resourceType),
    resourcePatternType: ACL_PATTERN_TYPES.indexOf(f.patternType),
    operation: ACL_OPERATIONS.indexOf(f.operation),
    permissionType: ACL_PERMISSIONS.indexOf(f.permission),
  };
  if (f.resourceName !== undefined) filter.resourceName = f.resourceName;
  if (f.principal !== undefined) filter.principal = f.principal;
  if (f.host !== undefined) filter.host = f.host;
  return filter;
}

function configSource(source: number): string {
  return CONFIG_SOURCES[source] ?? 'UNKNOWN';
}

/** `PreparingRebalance` → `PREPARING_REBALANCE`, as Java's ConsumerGroupState names print. */
function groupState(state: string): string {
  const s = state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  return s === '' ? 'UNKNOWN' : s;
}

function decodeAssignment(
  protocolType: string,
  bytes: Buffer,
): { topic: string; partition: number }[] {
  if (protocolType !== 'consumer' || bytes.length === 0) return [];
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(bytes);
    const out: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {}))
      for (const partition of partitions) out.push({ topic, partition });
    return out;
  } catch {
    // a client with its own assignment encoding: members are still listed, without assignments
    return [];
  }
}

/** One ACL as kafkajs answers it (describe or delete), in the gateway's names. */
function aclBinding(a: {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}): AclBinding {
  return {
    resourceType: ACL_RESOURCE_TYPES[a.resourceType] ?? 'UNKNOWN',
    resourceName: a.resourceName,
    patternType: ACL_PATTERN_TYPES[a.resourcePatternType] ?? 'UNKNOWN',
    principal: a.principal,
    host: a.host,
    operation: ACL_OPERATIONS[a.operation] ?? 'UNKNOWN',
    permission: ACL_PERMISSIONS[a.permissionType] ?? 'UNKNOWN',
  };
}
