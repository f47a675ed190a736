import { Module } from '@nestjs/common';
import { KafkaService } from './kafka.service';
import { KafkaAdminService } from './kafka-admin.service';

@Module({
  providers: [KafkaService, KafkaAdminService],
  exports: [KafkaService, KafkaAdminService],
})
export class KafkaModule {}
