import { Inject, Injectable } from '@nestjs/common';
import { GatewayError } from '@kafka-gateway/server-kit';
import { PRODUCER_CONFIG, type ProducerGatewayConfig } from '../config/producer.config';
import { type BrokerInfo, KafkaAdminService } from '../kafka/kafka-admin.service';
import {
  collection,
  type Relationship,
  resource,
  type V3Collection,
  V3Links,
  type V3Resource,
} from './v3-resources';

export interface ClusterData {
  cluster_id: string;
  controller?: Relationship;
  acls: Relationship;
  brokers: Relationship;
  broker_configs: Relationship;
  consumer_groups: Relationship;
  topics: Relationship;
  partition_reassignments: Relationship;
}

export interface BrokerData {
  cluster_id: string;
  broker_id: number;
  host: string;
  port: number;
  rack: string | null;
  configs: Relationship;
  partition_replicas: Relationship;
}

/** v3 clusters and brokers; also the one place that checks a path's cluster id. */
@Injectable()
export class ClustersService {
  constructor(
    private readonly admin: KafkaAdminService,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerGatewayConfig,
  ) {}

  /** Links for `clusterId` after checking it names this cluster (404 otherwise, as Confluent). */
  async links(requestBase: string, clusterId: string): Promise<V3Links> {
    const actual = await this.admin.currentClusterId();
    if (clusterId !== actual)
      throw new GatewayError('cluster_not_found', `Cluster ${clusterId} cannot be found.`);
    return new V3Links(this.config.publicBaseUrl ?? requestBase, actual);
  }

  async listClusters(requestBase: string): Promise<V3Collection<V3Resource<ClusterData>>> {
    const info = await this.admin.cluster();
    const links = new V3Links(this.config.publicBaseUrl ?? requestBase, info.clusterId);
    return collection('KafkaClusterList', `${links.base}/v3/clusters`, [
      clusterData(links, info.controllerId),
    ]);
  }

  async getCluster(requestBase: string, clusterId: string): Promise<V3Resource<ClusterData>> {
    const links = await this.links(requestBase, clusterId);
    return clusterData(links, (await this.admin.cluster()).controllerId);
  }

  async listBrokers(
    requestBase: string,
    clusterId: string,
  ): Promise<V3Collection<V3Resource<BrokerData>>> {
    const links = await this.links(requestBase, clusterId);
    const { brokers } = await this.admin.cluster();
    return collection(
      'KafkaBrokerList',
      links.url('brokers'),
      brokers.map((b) => brokerData(links, b)),
    );
  }

  async getBroker(
    requestBase: string,
    clusterId: string,
    brokerId: number,
  ): Promise<V3Resource<BrokerData>> {
    const links = await this.links(requestBase, clusterId);
    const broker = (await this.admin.cluster()).brokers.find((b) => b.brokerId === brokerId);
    if (broker === undefined)
      throw new GatewayError('broker_not_found', `Broker ${brokerId} cannot be found.`);
    return brokerData(links, broker);
  }
}

function clusterData(links: V3Links, controllerId: number | null): V3Resource<ClusterData> {
  return resource('KafkaCluster', links.url(), links.crn(), {
    cluster_id: links.clusterId,
    ...(controllerId === null || controllerId < 0
      ? {}
      : { controller: links.related('brokers', controllerId) }),
    acls: links.related('acls'),
    brokers: links.related('brokers'),
    broker_configs: links.related('broker-configs'),
    consumer_groups: links.related('consumer-groups'),
    topics: links.related('topics'),
    partition_reassignments: { related: `${links.url('topics')}/-/partitions/-/reassignment` },
  });
}

function brokerData(links: V3Links, b: BrokerInfo): V3Resource<BrokerData> {
  return resource(
    'KafkaBroker',
    links.url('brokers', b.brokerId),
    links.crn(['broker', b.brokerId]),
    {
      cluster_id: links.clusterId,
      broker_id: b.brokerId,
      host: b.host,
      port: b.port,
      rack: null,
      configs: links.related('brokers', b.brokerId, 'configs'),
      partition_replicas: { related: `${links.url('brokers', b.brokerId)}/partition-replicas` },
    },
  );
}
