import { Authorize, CLUSTER_RESOURCE, PublicRoute } from '@kafka-gateway/server-kit';
import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { brokerIdParam } from '../common/path-params';
import { RequestBase } from '../common/request-base';
import { V3JsonInterceptor } from '../common/v3-json.interceptor';
import type { V3Collection, V3Resource } from './v3-resources';
import { type BrokerData, type ClusterData, ClustersService } from './clusters.service';

@Controller('v3/clusters')
@UseInterceptors(V3JsonInterceptor)
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @PublicRoute('the cluster id, which every v3 client looks up first')
  @Get()
  list(@RequestBase() base: string): Promise<V3Collection<V3Resource<ClusterData>>> {
    return this.clusters.listClusters(base);
  }

  @PublicRoute('the cluster id, which every v3 client looks up first')
  @Get(':cluster')
  get(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
  ): Promise<V3Resource<ClusterData>> {
    return this.clusters.getCluster(base, cluster);
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get(':cluster/brokers')
  listBrokers(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
  ): Promise<V3Collection<V3Resource<BrokerData>>> {
    return this.clusters.listBrokers(base, cluster);
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get(':cluster/brokers/:broker')
  getBroker(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('broker') broker: string,
  ): Promise<V3Resource<BrokerData>> {
    return this.clusters.getBroker(base, cluster, brokerIdParam(broker));
  }
}
