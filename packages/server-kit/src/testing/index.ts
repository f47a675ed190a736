/**
 * Helpers for the integration tests of every workspace (`@kafka-gateway/server-kit/testing`), kept
 * out of the package's main entry so no gateway imports them.
 */
export { readStackEnvFile } from './stack-env';
export {
  secureStackSettings,
  testPrincipalMiddleware,
  type SecureStackSettings,
} from './secure-stack';
export { freePort } from './ports';
export { gatewayMain, spawnGateway, waitFor, type GatewayProcess } from './gateway-process';
export { OFFLINE_GATEWAY_ENV, routeContractTests } from './route-contract';
