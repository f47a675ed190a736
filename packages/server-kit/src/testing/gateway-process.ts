import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './ports';

/** How often a readiness condition is checked. */
const POLL_MS = 100;
/** How long a gateway process gets to become ready (a cold JIT and Kafka metadata). */
const READY_MS = 60_000;

/** Resolves once `check` answers true (a throw counts as false); rejects after `ms`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The built entry point of one of the apps (`apps/<app>/dist/main.js`). */
export function gatewayMain(app: 'producer-gateway' | 'consumer-gateway'): string {
  return join(__dirname, '..', '..', '..', '..', 'apps', app, 'dist', 'main.js');
}

export interface GatewayProcess {
  readonly url: string;
  readonly metricsUrl: string;
  readonly proc: ChildProcess;
  /** SIGTERM, resolved when the process has exited. */
  stop(): Promise<void>;
}

/**
 * A built gateway as a child process, as a pod runs it, on free loopback ports (HTTP_PORT and
 * METRICS_PORT are set here), resolved once its /readyz answers 200. Only PATH is inherited from
 * this process's environment; stdout is dropped, stderr inherited.
 */
export async function spawnGateway(
  main: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<GatewayProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const proc = spawn(process.execPath, [main], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env['PATH'],
      HTTP_HOST: '127.0.0.1',
      METRICS_HOST: '127.0.0.1',
      ...env,
      HTTP_PORT: String(port),
      METRICS_PORT: String(metricsPort),
    },
  });
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const stop = (): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGTERM');
        });
  try {
    await waitFor(
      `${main} to be ready`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`${main} exited with ${proc.exitCode}`);
        return (await fetch(`${metricsUrl}/readyz`)).status === 200;
      },
      READY_MS,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `http://127.0.0.1:${port}`, metricsUrl, proc, stop };
}
