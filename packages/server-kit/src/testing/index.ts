/**
 * Helpers for the integration tests of every workspace (`@kafka-gateway/server-kit/testing`), kept
 * out of the package's main entry so no gateway imports them.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * The variables of one env file the local stack writes into its run directory
 * (`security.env`, `auth.env`, ...); undefined without a run directory or that file.
 */
export function readStackEnvFile(
  runDir: string | undefined,
  file: string,
): Record<string, string> | undefined {
  if (runDir === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(join(runDir, file), 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m !== null) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return env;
}

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
