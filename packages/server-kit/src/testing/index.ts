/**
 * Helpers for the integration tests of every workspace (`@kafka-gateway/server-kit/testing`), kept
 * out of the package's main entry so no gateway imports them.
 */
import { createServer } from 'node:net';

export { readStackEnvFile } from './stack-env';
export {
  secureStackSettings,
  testPrincipalMiddleware,
  type SecureStackSettings,
} from './secure-stack';

/** A loopback port free at the time of the call. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve());
  });
  const address = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}
export { OFFLINE_GATEWAY_ENV, routeContractTests } from './route-contract';
