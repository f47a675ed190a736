import { Inject, Injectable } from '@nestjs/common';
import { KafkaClientFactory, type KafkaCaller, LOGGER } from '@kafka-gateway/server-kit';
import type { Logger } from 'pino';
import type { ConsumerEvents, ConsumerPort, ConsumerSettings } from './consumer-port';
import { KafkaAdminService } from './kafka-admin.service';
import { KafkaConsumerAdapter } from './kafka-consumer.adapter';

/** Makes the Kafka side of each consumer instance (a kafkajs consumer behind ConsumerPort). */
@Injectable()
export class KafkaConsumerFactory {
  constructor(
    private readonly clients: KafkaClientFactory,
    private readonly admin: KafkaAdminService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `as`: the caller whose Kafka identity the consumer has for its whole life (propagation). */
  create(settings: ConsumerSettings, events: ConsumerEvents, as?: KafkaCaller): ConsumerPort {
    return new KafkaConsumerAdapter(
      this.clients,
      this.admin,
      settings,
      events,
      this.logger.child({ group: settings.group }),
      as,
    );
  }
}
