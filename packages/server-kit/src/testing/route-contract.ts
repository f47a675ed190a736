import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { routesWithoutAuthorization } from '../authz/route-authorizations';
import type { RunningGateway } from '../bootstrap/start-gateway';
import {
  liveRoutes,
  loadOpenApiContract,
  undocumentedRoutes,
  unnamedRoutes,
} from '../management/openapi-contract';

/**
 * Gateway settings for a whole app wired by Nest without any service: clients keep connecting
 * to a closed port in the background, HTTP and management ports are ephemeral.
 */
export const OFFLINE_GATEWAY_ENV: Readonly<Record<string, string>> = {
  KAFKA_BROKERS: '127.0.0.1:1',
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: '0',
  METRICS_HOST: '127.0.0.1',
  METRICS_PORT: '0',
  LOG_LEVEL: 'silent',
  // Kafka never comes: open the public port at once
  HTTP_LISTEN_READY_WAIT_MS: '0',
};

/**
 * The route contract every app keeps, as node:test cases: every route its router answers is in
 * docs/openapi.yaml, has a Confluent endpoint name (API_ENDPOINTS_* lists) and declares its
 * authorization; the management port serves the contract checked.
 */
export function routeContractTests(
  app: string,
  minRoutes: number,
  start: () => Promise<RunningGateway>,
): void {
  let gw: RunningGateway;
  before(async () => {
    gw = await start();
  });
  after(() => gw.shutdown('test end'));

  void test(`every live ${app} route is documented in docs/openapi.yaml`, () => {
    const contract = loadOpenApiContract();
    assert.ok(contract !== undefined, 'server-kit embeds docs/openapi.yaml at build time');
    const routes = liveRoutes(gw.app);
    assert.ok(routes.length > minRoutes, `router lists ${routes.length} routes`);
    assert.deepEqual(undocumentedRoutes(routes, contract), []);
  });

  void test('the management port serves the contract it was checked against', async () => {
    const res = await fetch(`http://127.0.0.1:${gw.managementPort}/openapi.json`);
    assert.equal(res.status, 200);
    const paths = Object.keys(((await res.json()) as { paths: object }).paths);
    assert.ok(paths.includes('/topics/{topic}'));
  });

  void test(`every live ${app} route has a Confluent endpoint name (API_ENDPOINTS_* lists)`, () => {
    const routes = liveRoutes(gw.app);
    assert.ok(routes.length > minRoutes);
    assert.deepEqual(unnamedRoutes(routes), []);
  });

  void test(`every live ${app} route declares its authorization (@Authorize, @AuthorizedInService or @PublicRoute)`, () => {
    assert.ok(liveRoutes(gw.app).length > minRoutes);
    assert.deepEqual(routesWithoutAuthorization(gw.app), []);
  });
}
