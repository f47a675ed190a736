import { Module } from '@nestjs/common';
import { KafkaAdminService } from './kafka-admin.service';
import { KafkaProducerService } from './kafka-producer.service';
import { TopicMetadataService } from './topic-metadata.service';

/** The kafkajs adapters of the producer gateway; nothing outside this folder imports kafkajs. */
@Module({
  providers: [TopicMetadataService, KafkaProducerService, KafkaAdminService],
  exports: [TopicMetadataService, KafkaProducerService, KafkaAdminService],
})
export class KafkaModule {}
