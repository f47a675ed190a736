import { createLogger, type RunningGateway, startGateway } from '@kafka-gateway/server-kit';
import { waitFor } from '@kafka-gateway/server-kit/testing';
import { AppModule } from '../app.module';
import { loadConsumerConfig } from '../config/consumer.config';
import { forwardingMiddleware } from './forwarding.middleware';
import { RoutingService } from './routing.service';

/** How long an in-process replica gets to become ready (Kafka and Redis connections). */
const READY_MS = 60_000;

/**
 * Test support: one consumer-gateway replica in this process, wired as main.ts wires it (the
 * forwarding middleware before the body parser), resolved once its /readyz answers 200. The
 * management port is ephemeral unless `env` names one.
 */
export async function startInProcessReplica(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RunningGateway> {
  const config = loadConsumerConfig({
    HTTP_HOST: '127.0.0.1',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'error',
    ...env,
  });
  const logger = createLogger(name, config.logLevel);
  const gw = await startGateway({
    rootModule: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
    beforeBody: (app) => [forwardingMiddleware(app.get(RoutingService))],
  });
  await waitFor(
    `${name} to be ready`,
    async () => (await fetch(`http://127.0.0.1:${gw.managementPort}/readyz`)).status === 200,
    READY_MS,
  );
  return gw;
}
