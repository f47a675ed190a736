import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { ProduceController } from './produce.controller';
import { ProduceService } from './produce.service';

@Module({ imports: [KafkaModule], controllers: [ProduceController], providers: [ProduceService] })
export class ProduceModule {}
