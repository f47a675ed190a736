import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { MetadataController } from './metadata.controller';
import { MetadataService } from './metadata.service';

@Module({ imports: [KafkaModule], controllers: [MetadataController], providers: [MetadataService] })
export class MetadataModule {}
