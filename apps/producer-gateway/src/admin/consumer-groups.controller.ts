import {
  Authorize,
  AuthorizedInService,
  type Caller,
  CallerOf,
  groupParam,
  topicParam,
} from '@kafka-gateway/server-kit';
import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { partitionParam } from '../common/path-params';
import { RequestBase } from '../common/request-base';
import { V3JsonInterceptor } from '../common/v3-json.interceptor';
import type { V3Collection, V3Resource } from './v3-resources';
import {
  type ConsumerAssignmentData,
  type ConsumerData,
  type ConsumerGroupData,
  ConsumerGroupsService,
  type ConsumerLagData,
  type LagSummaryData,
} from './consumer-groups.service';

@Controller('v3/clusters/:cluster/consumer-groups')
@UseInterceptors(V3JsonInterceptor)
export class ConsumerGroupsController {
  constructor(private readonly groups: ConsumerGroupsService) {}

  @AuthorizedInService('lists only the groups the caller may describe')
  @Get()
  list(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @CallerOf() caller: Caller,
  ): Promise<V3Collection<V3Resource<ConsumerGroupData>>> {
    return this.groups.listGroups(base, cluster, caller);
  }

  @Authorize('describe', groupParam())
  @Get(':group')
  get(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('group') group: string,
  ): Promise<V3Resource<ConsumerGroupData>> {
    return this.groups.getGroup(base, cluster, group);
  }

  @Authorize('describe', groupParam())
  @Get(':group/consumers')
  listConsumers(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('group') group: string,
  ): Promise<V3Collection<V3Resource<ConsumerData>>> {
    return this.groups.listConsumers(base, cluster, group);
  }

  @Authorize('describe', groupParam())
  @Get(':group/consumers/:consumer')
  getConsumer(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('group') group: string,
    @Param('consumer') consumer: string,
  ): Promise<V3Resource<ConsumerData>> {
    return this.groups.getConsumer(base, cluster, group, consumer);
  }

  @Authorize('describe', groupParam())
  @Get(':group/consumers/:consumer/assignments')
  listAssignments(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('group') group: string,
    @Param('consumer') consumer: string,
  ): Promise<V3Collection<V3Resource<ConsumerAssignmentData>>> {
    return this.groups.listAssignments(base, cluster, group, consumer);
  }

  @Authorize('describe', groupParam())
  @Get(':group/lags')
  listLags(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('group') group: string,
    @CallerOf() caller: Caller,
  ): Promise<V3Collection<V3Resource<ConsumerLagData>>> {
    return this.groups.listLags(base, cluster, group, caller);
  }

  @Authorize('describe', groupParam(), topicParam())
  @Get(':group/lags/:topic/partitions/:partition')
  getLag(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('group') group: string,
    @Param('topic') topic: string,
    @Param('partition') partition: string,
  ): Promise<V3Resource<ConsumerLagData>> {
    return this.groups.getLag(base, cluster, group, topic, partitionParam(partition));
  }

  @Authorize('describe', groupParam())
  @Get(':group/lag-summary')
  lagSummary(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('group') group: string,
  ): Promise<V3Resource<LagSummaryData>> {
    return this.groups.lagSummary(base, cluster, group);
  }
}
