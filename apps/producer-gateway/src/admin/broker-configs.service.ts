import { Injectable } from '@nestjs/common';
import { GatewayError } from '@kafka-gateway/server-kit';
import { type ConfigEntry, KafkaAdminService } from '../kafka/kafka-admin.service';
import { ClustersService } from './clusters.service';
import { type ConfigFields, configFields, OwnedConfigs } from './config-resources';
import {
  collection,
  resource,
  type V3Collection,
  type V3Links,
  type V3Resource,
} from './v3-resources';

export type BrokerConfigData = { cluster_id: string; broker_id: number } & ConfigFields;
export type ClusterConfigData = { cluster_id: string; config_type: 'BROKER' } & ConfigFields;

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
    const entries = await this.brokerConfigs(brokerId).list();
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
    return brokerConfigData(links, brokerId, await this.brokerConfigs(brokerId).get(name));
  }

  async updateBrokerConfig(
    base: string,
    clusterId: string,
    brokerId: number,
    name: string,
    body: unknown,
  ): Promise<void> {
    await this.clusters.links(base, clusterId);
    await this.brokerConfigs(brokerId).update(name, body);
  }

  async resetBrokerConfig(
    base: string,
    clusterId: string,
    brokerId: number,
    name: string,
  ): Promise<void> {
    await this.clusters.links(base, clusterId);
    await this.brokerConfigs(brokerId).reset(name);
  }

  async alterBrokerConfigs(
    base: string,
    clusterId: string,
    brokerId: number,
    body: unknown,
  ): Promise<void> {
    await this.clusters.links(base, clusterId);
    await this.brokerConfigs(brokerId).alterMany(body);
  }

  async listClusterConfigs(
    base: string,
    clusterId: string,
  ): Promise<V3Collection<V3Resource<ClusterConfigData>>> {
    const links = await this.clusters.links(base, clusterId);
    const entries = await this.clusterDefaults.list();
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
    return clusterConfigData(links, await this.clusterDefaults.get(name));
  }

  /**
   * Changing the cluster-wide defaults needs the BROKER resource with an empty name, which
   * kafkajs cannot address: refused with 501 (see docs/api-compatibility.md).
   */
  async updateClusterConfig(base: string, clusterId: string): Promise<never> {
    await this.clusters.links(base, clusterId);
    throw clusterDefaultsReadOnly();
  }

  private brokerConfigs(brokerId: number): OwnedConfigs {
    return new OwnedConfigs({
      requireExists: async () => {
        if (!(await this.admin.brokerIds()).includes(brokerId))
          throw new GatewayError('broker_not_found', `Broker ${brokerId} cannot be found.`);
      },
      entries: () => this.admin.brokerConfigs(brokerId),
      alter: (changes, validateOnly) =>
        this.admin.alterBrokerConfigs(brokerId, changes, validateOnly),
      notFound: (name) =>
        new GatewayError(
          'config_not_found',
          `Config ${name} cannot be found for broker ${brokerId}.`,
        ),
    });
  }

  /** The cluster-wide broker defaults: only those set exist. */
  private readonly clusterDefaults = new OwnedConfigs({
    requireExists: () => Promise.resolve(),
    entries: () => this.admin.clusterConfigs(),
    alter: () => Promise.reject(clusterDefaultsReadOnly()),
    notFound: (name) =>
      new GatewayError('config_not_found', `Config ${name} cannot be found for cluster.`),
  });
}

function clusterDefaultsReadOnly(): GatewayError {
  return new GatewayError(
    'not_implemented',
    'Changing cluster-wide broker defaults is not supported by this gateway (its Kafka client cannot address the default broker resource); use kafka-configs.sh --entity-type brokers --entity-default, or change each broker under /brokers/{broker_id}/configs.',
  );
}

function brokerConfigData(
  links: V3Links,
  brokerId: number,
  e: ConfigEntry,
): V3Resource<BrokerConfigData> {
  return resource(
    'KafkaBrokerConfig',
    links.url('brokers', brokerId, 'configs', e.name),
    links.crn(['broker', brokerId], ['config', e.name]),
    { cluster_id: links.clusterId, broker_id: brokerId, ...configFields(e) },
  );
}

function clusterConfigData(links: V3Links, e: ConfigEntry): V3Resource<ClusterConfigData> {
  return resource(
    'KafkaClusterConfig',
    links.url('broker-configs', e.name),
    links.crn(['broker-config', e.name]),
    { cluster_id: links.clusterId, config_type: 'BROKER' as const, ...configFields(e) },
  );
}
