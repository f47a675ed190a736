import { createLogger, startGateway } from '@kafka-gateway/server-kit';
import { OFFLINE_GATEWAY_ENV, routeContractTests } from '@kafka-gateway/server-kit/testing';
import { AppModule } from './app.module';
import { loadConsumerConfig } from './config/consumer.config';

// The whole app as Nest wires it (no Kafka needed): its routes against docs/openapi.yaml, the
// endpoint names and the authorization declarations.
routeContractTests('consumer-gateway', 10, () => {
  const config = loadConsumerConfig(OFFLINE_GATEWAY_ENV);
  const logger = createLogger('consumer-gateway-test', 'silent');
  return startGateway({
    rootModule: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
  });
});
