import {
  Authorize,
  AuthorizedInService,
  type Caller,
  CallerOf,
  CLUSTER_RESOURCE,
  topicParam,
} from '@kafka-gateway/server-kit';
import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { V2JsonInterceptor } from '@kafka-gateway/server-kit';
import { partitionParam } from '../common/path-params';
import {
  MetadataService,
  type PartitionOffsets,
  type PartitionView,
  type TopicView,
} from './metadata.service';

@Controller()
@UseInterceptors(V2JsonInterceptor)
export class MetadataController {
  constructor(private readonly metadata: MetadataService) {}

  @AuthorizedInService('lists only the topics the caller may describe')
  @Get('topics')
  listTopics(@CallerOf() caller: Caller): Promise<string[]> {
    return this.metadata.listTopics(caller);
  }

  @Authorize('describe', topicParam())
  @Get('topics/:topic')
  getTopic(@Param('topic') topic: string): Promise<TopicView> {
    return this.metadata.getTopic(topic);
  }

  @Authorize('describe', topicParam())
  @Get('topics/:topic/partitions')
  listPartitions(@Param('topic') topic: string): Promise<PartitionView[]> {
    return this.metadata.listPartitions(topic);
  }

  @Authorize('describe', topicParam())
  @Get('topics/:topic/partitions/:partition')
  getPartition(
    @Param('topic') topic: string,
    @Param('partition') partition: string,
  ): Promise<PartitionView> {
    return this.metadata.getPartition(topic, partitionParam(partition));
  }

  @Authorize('describe', topicParam())
  @Get('topics/:topic/partitions/:partition/offsets')
  getPartitionOffsets(
    @Param('topic') topic: string,
    @Param('partition') partition: string,
  ): Promise<PartitionOffsets> {
    return this.metadata.getPartitionOffsets(topic, partitionParam(partition));
  }

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get('brokers')
  listBrokers(): Promise<{ brokers: number[] }> {
    return this.metadata.listBrokers();
  }
}
