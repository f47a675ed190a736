import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createLogger,
  liveRoutes,
  loadOpenApiContract,
  routesWithoutAuthorization,
  startGateway,
  undocumentedRoutes,
  unnamedRoutes,
  type RunningGateway,
} from '@kafka-gateway/server-kit';
import { AppModule } from './app.module';
import { loadProducerConfig } from './config/producer.config';

// The whole app as Nest wires it (no Kafka needed: clients keep connecting in the background);
// every route its router answers must be in docs/openapi.yaml.
let gw: RunningGateway;

before(async () => {
  const config = loadProducerConfig({
    KAFKA_BROKERS: '127.0.0.1:1',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('producer-gateway-test', 'silent');
  gw = await startGateway({
    rootModule: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
  });
});

after(() => gw.shutdown('test end'));

test('every live producer-gateway route is documented in docs/openapi.yaml', () => {
  const contract = loadOpenApiContract();
  assert.ok(contract !== undefined, 'server-kit embeds docs/openapi.yaml at build time');
  const routes = liveRoutes(gw.app);
  assert.ok(routes.length > 30, `router lists ${routes.length} routes`);
  assert.deepEqual(undocumentedRoutes(routes, contract), []);
});

test('the management port serves the contract it was checked against', async () => {
  const res = await fetch(`http://127.0.0.1:${gw.managementPort}/openapi.json`);
  assert.equal(res.status, 200);
  const paths = Object.keys(((await res.json()) as { paths: object }).paths);
  assert.ok(paths.includes('/topics/{topic}'));
});

test('every live producer-gateway route has a Confluent endpoint name (API_ENDPOINTS_* lists)', () => {
  const routes = liveRoutes(gw.app);
  assert.ok(routes.length > 30);
  assert.deepEqual(unnamedRoutes(routes), []);
});

test('every live producer-gateway route declares its authorization (@Authorize, @AuthorizedInService or @PublicRoute)', () => {
  assert.ok(liveRoutes(gw.app).length > 0);
  assert.deepEqual(routesWithoutAuthorization(gw.app), []);
});
