import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { V2JsonInterceptor } from '@kafka-gateway/server-kit';
import { MetadataService, type TopicView } from './metadata.service';

@Controller('topics')
@UseInterceptors(V2JsonInterceptor)
export class MetadataController {
  constructor(private readonly metadata: MetadataService) {}

  @Get()
  listTopics(): Promise<string[]> {
    return this.metadata.listTopics();
  }

  @Get(':topic')
  getTopic(@Param('topic') topic: string): Promise<TopicView> {
    return this.metadata.getTopic(topic);
  }
}
