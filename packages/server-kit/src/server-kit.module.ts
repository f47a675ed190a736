import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import { ConfluentErrorFilter } from './errors/confluent-error.filter';
import { ErrorResponder } from './errors/error-responder';
import { ReadinessService } from './health/readiness.service';
import { LOGGER } from './logging/logger';
import { MetricsService } from './metrics/metrics.service';

/** Process-wide services every gateway module may inject: logger, metrics, readiness, the error path. */
@Global()
@Module({})
export class ServerKitModule {
  /** `topicLabelLimit`: `config.metrics.topicLabelLimit` (METRICS_TOPIC_LABEL_LIMIT). */
  static forRoot(options: {
    service: string;
    logger: Logger;
    topicLabelLimit?: number;
  }): DynamicModule {
    return {
      module: ServerKitModule,
      providers: [
        { provide: LOGGER, useValue: options.logger },
        {
          provide: MetricsService,
          useValue: new MetricsService(options.service, options.topicLabelLimit),
        },
        { provide: ReadinessService, useValue: new ReadinessService() },
        ErrorResponder,
        { provide: APP_FILTER, useClass: ConfluentErrorFilter },
      ],
      exports: [LOGGER, MetricsService, ReadinessService, ErrorResponder],
    };
  }
}
