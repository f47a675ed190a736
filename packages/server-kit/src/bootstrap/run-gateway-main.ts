import type { IncomingMessage } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { CommonConfig } from '../config/common.config';
import { ConfigError } from '../config/env-reader';
import { createLogger } from '../logging/logger';
import { startGateway } from './start-gateway';

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
    beforeAuth?: (app: NestExpressApplication) => RequestHandler[];
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
  const { internalToken, ...rest } = options;
  const token = internalToken?.(config);
  startGateway({
    rootModule: rootModule(config, logger),
    config,
    logger,
    ...rest,
    ...(token === undefined ? {} : { internalToken: token }),
  }).catch((err: unknown) => {
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  });
}
