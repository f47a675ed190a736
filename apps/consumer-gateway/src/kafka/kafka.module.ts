import { Module } from '@nestjs/common';
import { DeadLetterProducer } from './dead-letter.producer';
import { KafkaAdminService } from './kafka-admin.service';
import { KafkaConsumerFactory } from './kafka-consumer.factory';

/** The kafkajs adapters of the consumer gateway; nothing outside this folder imports kafkajs. */
@Module({
  providers: [KafkaAdminService, KafkaConsumerFactory, DeadLetterProducer],
  exports: [KafkaAdminService, KafkaConsumerFactory, DeadLetterProducer],
})
export class KafkaModule {}
