import 'reflect-metadata';
import { runGatewayMain } from '@kafka-gateway/server-kit';
import { AppModule } from './app.module';
import { loadConsumerConfig } from './config/consumer.config';
import { forwardingMiddleware } from './routing/forwarding.middleware';
import { RoutingService } from './routing/routing.service';

runGatewayMain(
  'consumer-gateway',
  () => loadConsumerConfig(process.env),
  (config, logger) => AppModule.forRoot(config, logger),
  {
    beforeBody: (app) => [forwardingMiddleware(app.get(RoutingService))],
    // a forwarded request keeps the principal the forwarding replica authenticated
    internalToken: (config) => config.routing.internalToken,
  },
);
