import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { AclsController } from './acls.controller';
import { AclsService } from './acls.service';
import { BrokerConfigsController } from './broker-configs.controller';
import { BrokerConfigsService } from './broker-configs.service';
import { ClustersController } from './clusters.controller';
import { ClustersService } from './clusters.service';
import { ConsumerGroupsController } from './consumer-groups.controller';
import { ConsumerGroupsService } from './consumer-groups.service';
import { TopicsController } from './topics.controller';
import { TopicsService } from './topics.service';

/** The v3 administration API: clusters, brokers, topics, partitions, configs, ACLs, groups, lag. */
@Module({
  imports: [KafkaModule],
  controllers: [
    ClustersController,
    BrokerConfigsController,
    TopicsController,
    ConsumerGroupsController,
    AclsController,
  ],
  providers: [
    ClustersService,
    TopicsService,
    ConsumerGroupsService,
    AclsService,
    BrokerConfigsService,
  ],
  exports: [ClustersService],
})
export class AdminModule {}
