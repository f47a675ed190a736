import {
  Authorize,
  AuthorizedInService,
  type Caller,
  CallerOf,
  CLUSTER_RESOURCE,
  topicParam,
} from '@kafka-gateway/server-kit';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import type { Response } from 'express';
import { brokerIdParam, partitionParam } from '../common/path-params';
import { RequestBase } from '../common/request-base';
import { V3JsonInterceptor } from '../common/v3-json.interceptor';
import type { V3Collection, V3Resource } from './v3-resources';
import {
  type PartitionData,
  type ReassignmentData,
  type ReplicaData,
  type TopicConfigData,
  type TopicData,
  TopicsService,
} from './topics.service';

@Controller('v3/clusters/:cluster/topics')
@UseInterceptors(V3JsonInterceptor)
export class TopicsController {
  constructor(private readonly topics: TopicsService) {}

  @AuthorizedInService('lists only the topics the caller may describe')
  @Get()
  list(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @CallerOf() caller: Caller,
  ): Promise<V3Collection<V3Resource<TopicData>>> {
    return this.topics.listTopics(base, cluster, caller);
  }

  @AuthorizedInService('create on the topic the body names, before anything is created')
  @Post()
  async create(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Body() body: unknown,
    @CallerOf() caller: Caller,
    @Res({ passthrough: true }) res: Response,
  ): Promise<V3Resource<TopicData>> {
    const created = await this.topics.createTopic(base, cluster, body, caller);
    res.status(created.status);
    if (created.status === 201) res.setHeader('Location', created.location);
    return created.body;
  }

  // The `-` (all) reassignment routes come before `:topic/partitions/:partition/...`, which would
  // otherwise take `-` for a topic or partition.
  @Authorize('describe', CLUSTER_RESOURCE)
  @Get('-/partitions/-/reassignment')
  listAllReassignments(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
  ): Promise<V3Collection<V3Resource<ReassignmentData>>> {
    return this.topics.listReassignments(base, cluster, undefined);
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get(':topic/partitions/-/reassignment')
  listReassignments(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
  ): Promise<V3Collection<V3Resource<ReassignmentData>>> {
    return this.topics.listReassignments(base, cluster, topic);
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get(':topic/partitions/:partition/reassignment')
  getReassignment(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Param('partition') partition: string,
  ): Promise<V3Resource<ReassignmentData>> {
    return this.topics.getReassignment(base, cluster, topic, partitionParam(partition));
  }

  @Authorize('describe', topicParam())
  @Get(':topic')
  get(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
  ): Promise<V3Resource<TopicData>> {
    return this.topics.getTopic(base, cluster, topic);
  }

  @Authorize('alter-configs', topicParam())
  @Patch(':topic')
  patch(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Body() body: unknown,
  ): Promise<V3Resource<TopicData>> {
    return this.topics.patchTopic(base, cluster, topic, body);
  }

  @Authorize('delete', topicParam())
  @Delete(':topic')
  @HttpCode(204)
  delete(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
  ): Promise<void> {
    return this.topics.deleteTopic(base, cluster, topic);
  }

  @Authorize('describe', topicParam())
  @Get(':topic/partitions')
  listPartitions(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
  ): Promise<V3Collection<V3Resource<PartitionData>>> {
    return this.topics.listPartitions(base, cluster, topic);
  }

  @Authorize('describe', topicParam())
  @Get(':topic/partitions/:partition')
  getPartition(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Param('partition') partition: string,
  ): Promise<V3Resource<PartitionData>> {
    return this.topics.getPartition(base, cluster, topic, partitionParam(partition));
  }

  @Authorize('describe', topicParam())
  @Get(':topic/partitions/:partition/replicas')
  listReplicas(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Param('partition') partition: string,
  ): Promise<V3Collection<V3Resource<ReplicaData>>> {
    return this.topics.listReplicas(base, cluster, topic, partitionParam(partition));
  }

  @Authorize('describe', topicParam())
  @Get(':topic/partitions/:partition/replicas/:broker')
  getReplica(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Param('partition') partition: string,
    @Param('broker') broker: string,
  ): Promise<V3Resource<ReplicaData>> {
    return this.topics.getReplica(
      base,
      cluster,
      topic,
      partitionParam(partition),
      brokerIdParam(broker),
    );
  }

  @Authorize('describe', topicParam())
  @Get(':topic/configs')
  listConfigs(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
  ): Promise<V3Collection<V3Resource<TopicConfigData>>> {
    return this.topics.listConfigs(base, cluster, topic);
  }

  // `configs:alter` is a literal path segment (Google-style custom method), hence the escape.
  @Authorize('alter-configs', topicParam())
  @Post(':topic/configs\\:alter')
  @HttpCode(204)
  alterConfigs(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Body() body: unknown,
  ): Promise<void> {
    return this.topics.alterConfigs(base, cluster, topic, body);
  }

  @Authorize('describe', topicParam())
  @Get(':topic/configs/:name')
  getConfig(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Param('name') name: string,
  ): Promise<V3Resource<TopicConfigData>> {
    return this.topics.getConfig(base, cluster, topic, name);
  }

  @Authorize('alter-configs', topicParam())
  @Put(':topic/configs/:name')
  @HttpCode(204)
  updateConfig(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<void> {
    return this.topics.updateConfig(base, cluster, topic, name, body);
  }

  @Authorize('alter-configs', topicParam())
  @Delete(':topic/configs/:name')
  @HttpCode(204)
  resetConfig(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Param('topic') topic: string,
    @Param('name') name: string,
  ): Promise<void> {
    return this.topics.resetConfig(base, cluster, topic, name);
  }
}
