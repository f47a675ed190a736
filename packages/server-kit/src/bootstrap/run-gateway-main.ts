import cluster from 'node:cluster';
import type { IncomingMessage } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { CommonConfig } from '../config/common.config';
import { ConfigError } from '../config/env-reader';
import { createLogger } from '../logging/logger';
import { ReadinessService } from '../health/readiness.service';
import { MetricsService } from '../metrics/metrics.service';
import { type HotRoute, startGateway } from './start-gateway';
import { runPrimary, serveWorker } from './worker-pool';

/**
 * A gateway's `main`: load the config (exit 2 listing every problem), create the logger, start.
 * Start-up failures exit 1 with the reason; nothing half-started keeps running.
 */
export function runGatewayMain<C extends CommonConfig>(
  service: string,
  loadConfig: () => C,
  rootModule: (config: C, logger: Logger) => DynamicModule,
  options: {
    streamingBody?: (req: IncomingMessage) => boolean;
    beforeBody?: (app: NestExpressApplication) => RequestHandler[];
    /** Worker processes of this pod (HTTP_WORKERS; stateless gateways only). Default 1. */
    workers?: (config: C) => number;
    beforeAuth?: (app: NestExpressApplication) => RequestHandler[];
    hotRoutes?: (app: NestExpressApplication) => readonly HotRoute[];
    /** The replicas' shared secret on forwarded requests (see startGateway). */
    internalToken?: (config: C) => string | undefined;
  } = {},
): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(service, config.logLevel);
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const fatal = (err: unknown): void => {
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  };
  const workers = options.workers?.(config) ?? 1;
  if (workers > 1 && cluster.isPrimary) {
    runPrimary({ service, workers, config, logger }).catch(fatal);
    return;
  }
  const worker = cluster.isWorker;
  const token = options.internalToken?.(config);
  startGateway({
    rootModule: rootModule(config, logger),
    config,
    logger: worker ? logger.child({ worker: cluster.worker?.id, pid: process.pid }) : logger,
    streamingBody: options.streamingBody,
    beforeBody: options.beforeBody,
    beforeAuth: options.beforeAuth,
    hotRoutes: options.hotRoutes,
    ...(token === undefined ? {} : { internalToken: token }),
    management: !worker,
  }).then((gateway) => {
    if (worker) serveWorker(gateway.app.get(MetricsService), gateway.app.get(ReadinessService));
  }, fatal);
}
