import { Injectable } from '@nestjs/common';
import { GatewayError } from '@kafka-gateway/server-kit';
import {
  type ConfigChange,
  type ConfigEntry,
  type ConfigSynonym,
  KafkaAdminService,
} from '../kafka/kafka-admin.service';
import { parseAlterConfigs, parseUpdateConfig } from './admin-requests.parser';
import { ClustersService } from './clusters.service';
import {
  collection,
  resource,
  type V3Collection,
  type V3Links,
  type V3Resource,
} from './v3-resources';

interface ConfigFields {
  cluster_id: string;
  name: string;
  value: string | null;
  is_default: boolean;
  is_read_only: boolean;
  is_sensitive: boolean;
  source: string;
  synonyms: ConfigSynonym[];
}

export type BrokerConfigData = ConfigFields & { broker_id: number };
export type ClusterConfigData = ConfigFields & { config_type: 'BROKER' };

/**
 * v3 broker configs (`/brokers/{b}/configs`, `/brokers/-/configs`) and cluster configs
 * (`/broker-configs`: Kafka's cluster-wide dynamic broker defaults). Changes are read-modify-write
 * AlterConfigs, as for topic configs (kafkajs has no IncrementalAlterConfigs).
 */
@Injectable()
export class BrokerConfigsService {
  constructor(
    private readonly clusters: ClustersService,
    private readonly admin: KafkaAdminService,
  ) {}

  async listBrokerConfigs(
    base: string,
    clusterId: string,
    brokerId: number,
  ): Promise<V3Collection<V3Resource<BrokerConfigData>>> {
    const links = await this.clusters.links(base, clusterId);
    await this.requireBroker(brokerId);
    const entries = await this.admin.brokerConfigs(brokerId);
    return collection(
      'KafkaBrokerConfigList',
      links.url('brokers', brokerId, 'configs'),
      entries.map((e) => brokerConfigData(links, brokerId, e)),
    );
  }

  /** `GET /brokers/-/configs`: the configs of every broker, by broker then name. */
  async listAllBrokersConfigs(
    base: string,
    clusterId: string,
  ): Promise<V3Collection<V3Resource<BrokerConfigData>>> {
    const links = await this.clusters.links(base, clusterId);
    const ids = await this.admin.brokerIds();
    const all = await Promise.all(ids.map((id) => this.admin.brokerConfigs(id)));
    return collection(
      'KafkaBrokerConfigList',
      `${links.url('brokers')}/-/configs`,
      ids.flatMap((id, i) => all[i]!.map((e) => brokerConfigData(links, id, e))),
    );
  }

  async getBrokerConfig(
    base: string,
    clusterId: string,
    brokerId: number,
    name: string,
  ): Promise<V3Resource<BrokerConfigData>> {
    const links = await this.clusters.links(base, clusterId);
    await this.requireBroker(brokerId);
    return brokerConfigData(links, brokerId, await this.requireConfig(brokerId, name));
  }

  async updateBrokerConfig(
    base: string,
    clusterId: string,
    brokerId: number,
    name: string,
    body: unknown,
  ): Promise<void> {
    const change = parseUpdateConfig(name, body);
    await this.alter(base, clusterId, brokerId, [change], false, true);
  }

  async resetBrokerConfig(
    base: string,
    clusterId: string,
    brokerId: number,
    name: string,
  ): Promise<void> {
    await this.alter(base, clusterId, brokerId, [reset(name)], false, true);
  }

  async alterBrokerConfigs(
    base: string,
    clusterId: string,
    brokerId: number,
    body: unknown,
  ): Promise<void> {
    const { changes, validateOnly } = parseAlterConfigs(body);
    await this.alter(base, clusterId, brokerId, changes, validateOnly, false);
  }

  async listClusterConfigs(
    base: string,
    clusterId: string,
  ): Promise<V3Collection<V3Resource<ClusterConfigData>>> {
    const links = await this.clusters.links(base, clusterId);
    const entries = await this.admin.clusterConfigs();
    return collection(
      'KafkaClusterConfigList',
      links.url('broker-configs'),
      entries.map((e) => clusterConfigData(links, e)),
    );
  }

  async getClusterConfig(
    base: string,
    clusterId: string,
    name: string,
  ): Promise<V3Resource<ClusterConfigData>> {
    const links = await this.clusters.links(base, clusterId);
    return clusterConfigData(links, await this.requireConfig(undefined, name));
  }

  /**
   * Changing the cluster-wide defaults needs the BROKER resource with an empty name, which
   * kafkajs cannot address: refused with 501 (see docs/api-compatibility.md).
   */
  async updateClusterConfig(base: string, clusterId: string): Promise<never> {
    await this.clusters.links(base, clusterId);
    throw clusterDefaultsReadOnly();
  }

  private async alter(
    base: string,
    clusterId: string,
    brokerId: number,
    changes: readonly ConfigChange[],
    validateOnly: boolean,
    mustExist: boolean,
  ): Promise<void> {
    await this.clusters.links(base, clusterId);
    await this.requireBroker(brokerId);
    if (mustExist) for (const c of changes) await this.requireConfig(brokerId, c.name);
    await this.admin.alterBrokerConfigs(brokerId, changes, validateOnly);
  }

  private async requireBroker(brokerId: number): Promise<void> {
    if (!(await this.admin.brokerIds()).includes(brokerId))
      throw new GatewayError('broker_not_found', `Broker ${brokerId} cannot be found.`);
  }

  /** A config by name; undefined broker = the cluster-wide defaults (only those set exist). */
  private async requireConfig(brokerId: number | undefined, name: string): Promise<ConfigEntry> {
    const entries =
      brokerId === undefined
        ? await this.admin.clusterConfigs()
        : await this.admin.brokerConfigs(brokerId);
    const entry = entries.find((e) => e.name === name);
    if (entry === undefined) {
      throw new GatewayError(
        'config_not_found',
        brokerId === undefined
          ? `Config ${name} cannot be found for cluster.`
          : `Config ${name} cannot be found for broker ${brokerId}.`,
      );
    }
    return entry;
  }
}

function clusterDefaultsReadOnly(): GatewayError {
  return new GatewayError(
    'not_implemented',
    'Changing cluster-wide broker defaults is not supported by this gateway (its Kafka client cannot address the default broker resource); use kafka-configs.sh --entity-type brokers --entity-default, or change each broker under /brokers/{broker_id}/configs.',
  );
}

function reset(name: string): ConfigChange {
  return { name, operation: 'DELETE', value: null };
}

function fields(links: V3Links, e: ConfigEntry): ConfigFields {
  return {
    cluster_id: links.clusterId,
    name: e.name,
    value: e.value,
    is_default: e.isDefault,
    is_read_only: e.isReadOnly,
    is_sensitive: e.isSensitive,
    source: e.source,
    synonyms: [...e.synonyms],
  };
}

function brokerConfigData(
  links: V3Links,
  brokerId: number,
  e: ConfigEntry,
): V3Resource<BrokerConfigData> {
  const { cluster_id, ...rest } = fields(links, e);
  return resource(
    'KafkaBrokerConfig',
    links.url('brokers', brokerId, 'configs', e.name),
    links.crn(['broker', brokerId], ['config', e.name]),
    { cluster_id, broker_id: brokerId, ...rest },
  );
}

function clusterConfigData(links: V3Links, e: ConfigEntry): V3Resource<ClusterConfigData> {
  const { cluster_id, ...rest } = fields(links, e);
  return resource(
    'KafkaClusterConfig',
    links.url('broker-configs', e.name),
    links.crn(['broker-config', e.name]),
    { cluster_id, config_type: 'BROKER' as const, ...rest },
  );
}
