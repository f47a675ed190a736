import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import { ConfluentErrorFilter } from './errors/confluent-error.filter';
import { ErrorResponder } from './errors/error-responder';
import { ReadinessService } from './health/readiness.service';
import { LOGGER } from './logging/logger';
import { MetricsService } from './metrics/metrics.service';
import type { TracingConfig } from './config/tracing.config';
import { TraceService } from './tracing/trace.service';

/**
 * Process-wide services every gateway module may inject: logger, metrics, readiness, the error
 * path, tracing.
 */
@Global()
@Module({})
export class ServerKitModule {
  /** `topicLabelLimit`: `config.metrics.topicLabelLimit` (METRICS_TOPIC_LABEL_LIMIT). */
  static forRoot(options: {
    service: string;
    logger: Logger;
    topicLabelLimit?: number;
    /** `config.tracing`; unset = tracing off. */
    tracing?: TracingConfig;
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
        { provide: TraceService, useValue: new TraceService(options.tracing, options.service) },
        ErrorResponder,
        { provide: APP_FILTER, useClass: ConfluentErrorFilter },
      ],
      exports: [LOGGER, MetricsService, ReadinessService, ErrorResponder, TraceService],
    };
  }
}
