import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { ClustersController } from './clusters.controller';
import { ClustersService } from './clusters.service';
import { ConsumerGroupsController } from './consumer-groups.controller';
import { ConsumerGroupsService } from './consumer-groups.service';
import { TopicsController } from './topics.controller';
import { TopicsService } from './topics.service';

/** The v3 administration API: clusters, brokers, topics, partitions, configs, groups, lag. */
@Module({
  imports: [KafkaModule],
  controllers: [ClustersController, TopicsController, ConsumerGroupsController],
  providers: [ClustersService, TopicsService, ConsumerGroupsService],
  exports: [ClustersService],
})
export class AdminModule {}
