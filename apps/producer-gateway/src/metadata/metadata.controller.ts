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

  @Get('topics')
  listTopics(): Promise<string[]> {
    return this.metadata.listTopics();
  }

  @Get('topics/:topic')
  getTopic(@Param('topic') topic: string): Promise<TopicView> {
    return this.metadata.getTopic(topic);
  }

  @Get('topics/:topic/partitions')
  listPartitions(@Param('topic') topic: string): Promise<PartitionView[]> {
    return this.metadata.listPartitions(topic);
  }

  @Get('topics/:topic/partitions/:partition')
  getPartition(
    @Param('topic') topic: string,
    @Param('partition') partition: string,
  ): Promise<PartitionView> {
    return this.metadata.getPartition(topic, partitionParam(partition));
  }

  @Get('topics/:topic/partitions/:partition/offsets')
  getPartitionOffsets(
    @Param('topic') topic: string,
    @Param('partition') partition: string,
  ): Promise<PartitionOffsets> {
    return this.metadata.getPartitionOffsets(topic, partitionParam(partition));
  }

  @Get('brokers')
  listBrokers(): Promise<{ brokers: number[] }> {
    return this.metadata.listBrokers();
  }
}
