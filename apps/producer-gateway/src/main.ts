import 'reflect-metadata';
import { runGatewayMain } from '@kafka-gateway/server-kit';
import { AppModule } from './app.module';
import { loadProducerConfig } from './config/producer.config';
import { ProduceHotRoute } from './produce/v2/produce.route';
import { isStreamingProduce } from './produce/v3/streaming-route';

runGatewayMain(
  'producer-gateway',
  () => loadProducerConfig(process.env),
  (config, logger) => AppModule.forRoot(config, logger),
  {
    streamingBody: isStreamingProduce,
    workers: (config) => config.workers,
    hotRoutes: (app) => app.get(ProduceHotRoute).routes(),
  },
);
