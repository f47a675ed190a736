import 'reflect-metadata';
import { runGatewayMain } from '@kafka-gateway/server-kit';
import { AppModule } from './app.module';
import { loadConsumerConfig } from './config/consumer.config';

runGatewayMain(
  'consumer-gateway',
  () => loadConsumerConfig(process.env),
  (config, logger) => AppModule.forRoot(config, logger),
);
