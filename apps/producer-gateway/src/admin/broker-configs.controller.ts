import { Authorize, CLUSTER_RESOURCE } from '@kafka-gateway/server-kit';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  UseInterceptors,
} from '@nestjs/common';
import { brokerIdParam } from '../common/path-params';
import { RequestBase } from '../common/request-base';
import { V3JsonInterceptor } from '../common/v3-json.interceptor';
import {
  type BrokerConfigData,
  BrokerConfigsService,
  type ClusterConfigData,
} from './broker-configs.service';
import type { V3Collection, V3Resource } from './v3-resources';

/** Broker configs (`/brokers/{b}/configs`, `/brokers/-/configs`) and cluster configs (`/broker-configs`). */
@Controller('v3/clusters/:cluster')
@UseInterceptors(V3JsonInterceptor)
export class BrokerConfigsController {
  constructor(private readonly configs: BrokerConfigsService) {}

  // Declared before `brokers/:broker/configs` so `-` is not taken for a broker id.
  @Authorize('describe', CLUSTER_RESOURCE)
  @Get('brokers/-/configs')
  listAll(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
  ): Promise<V3Collection<V3Resource<BrokerConfigData>>> {
    return this.configs.listAllBrokersConfigs(base, cluster);
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get('brokers/:broker/configs')
  list(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('broker') broker: string,
  ): Promise<V3Collection<V3Resource<BrokerConfigData>>> {
    return this.configs.listBrokerConfigs(base, cluster, brokerIdParam(broker));
  }

  @Authorize('alter-configs', CLUSTER_RESOURCE)
  @Post('brokers/:broker/configs\\:alter')
  @HttpCode(204)
  alter(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('broker') broker: string,
    @Body() body: unknown,
  ): Promise<void> {
    return this.configs.alterBrokerConfigs(base, cluster, brokerIdParam(broker), body);
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get('brokers/:broker/configs/:name')
  get(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('broker') broker: string,
    @Param('name') name: string,
  ): Promise<V3Resource<BrokerConfigData>> {
    return this.configs.getBrokerConfig(base, cluster, brokerIdParam(broker), name);
  }

  @Authorize('alter-configs', CLUSTER_RESOURCE)
  @Put('brokers/:broker/configs/:name')
  @HttpCode(204)
  update(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('broker') broker: string,
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<void> {
    return this.configs.updateBrokerConfig(base, cluster, brokerIdParam(broker), name, body);
  }

  @Authorize('alter-configs', CLUSTER_RESOURCE)
  @Delete('brokers/:broker/configs/:name')
  @HttpCode(204)
  reset(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('broker') broker: string,
    @Param('name') name: string,
  ): Promise<void> {
    return this.configs.resetBrokerConfig(base, cluster, brokerIdParam(broker), name);
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get('broker-configs')
  listCluster(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
  ): Promise<V3Collection<V3Resource<ClusterConfigData>>> {
    return this.configs.listClusterConfigs(base, cluster);
  }

  @Authorize('alter-configs', CLUSTER_RESOURCE)
  @Post('broker-configs\\:alter')
  @HttpCode(204)
  alterCluster(@RequestBase() base: string, @Param('cluster') cluster: string): Promise<void> {
    return this.configs.updateClusterConfig(base, cluster);
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get('broker-configs/:name')
  getCluster(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('name') name: string,
  ): Promise<V3Resource<ClusterConfigData>> {
    return this.configs.getClusterConfig(base, cluster, name);
  }

  @Authorize('alter-configs', CLUSTER_RESOURCE)
  @Put('broker-configs/:name')
  @HttpCode(204)
  updateCluster(@RequestBase() base: string, @Param('cluster') cluster: string): Promise<void> {
    return this.configs.updateClusterConfig(base, cluster);
  }

  @Authorize('alter-configs', CLUSTER_RESOURCE)
  @Delete('broker-configs/:name')
  @HttpCode(204)
  resetCluster(@RequestBase() base: string, @Param('cluster') cluster: string): Promise<void> {
    return this.configs.updateClusterConfig(base, cluster);
  }
}
