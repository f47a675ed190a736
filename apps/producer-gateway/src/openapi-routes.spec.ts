import { createLogger, startGateway } from '@kafka-gateway/server-kit';
import { OFFLINE_GATEWAY_ENV, routeContractTests } from '@kafka-gateway/server-kit/testing';
import { AppModule } from './app.module';
import { loadProducerConfig } from './config/producer.config';

// The whole app as Nest wires it (no Kafka needed): its routes against docs/openapi.yaml, the
// endpoint names and the authorization declarations.
routeContractTests('producer-gateway', 30, () => {
  const config = loadProducerConfig(OFFLINE_GATEWAY_ENV);
  const logger = createLogger('producer-gateway-test', 'silent');
  return startGateway({
    rootModule: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
  });
});
