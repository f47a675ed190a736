import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { SecurityInfo, StackInfo } from './stack';

/**
 * `--sasl-ssl`: one extra producer gateway, started by the bench, on the stack's SASL_SSL
 * listener (SCRAM-SHA-512 over TLS, user `gateway`), so every produce row gets a twin through it
 * in the same run. Same build and settings as the stack's own producer gateway otherwise.
 */
export interface SaslGateway {
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** Variables the stack sets on a gateway; not inherited from the bench's own environment. */
export const OWN_VARS = /^(?:KAFKA_|SCHEMA_REGISTRY_|HTTP_|HTTPS_|METRICS_|REDIS_|AUTH_|AUTHZ_)/;

/** The environment of the extra gateway: the bench's own, minus the stack's variables, plus these. */
export function saslGatewayEnv(
  base: NodeJS.ProcessEnv,
  stack: Pick<StackInfo, 'schemaRegistryUrl'>,
  security: SecurityInfo,
  httpPort: number,
  metricsPort: number,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !OWN_VARS.test(k)) env[k] = v;
  return {
    ...env,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    KAFKA_BROKERS: security.saslSslBrokers,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_LOCATION: security.caFile,
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: security.scramUsername,
    KAFKA_SASL_PASSWORD_FILE: security.scramPasswordFile,
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    // as infra/stack starts its gateways
    LOG_LEVEL: base['LOG_LEVEL'] || 'info',
  };
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
}

/** Starts the gateway and waits for its `/readyz` (Kafka connected over SASL_SSL). */
export function startSaslGateway(
  stack: StackInfo,
  security: SecurityInfo,
  log: (message: string) => void,
  readyTimeoutMs = 120_000,
): Promise<SaslGateway> {
  return startExtraGateway(
    stack,
    'SASL_SSL',
    'bench-producer-gateway-sasl-ssl.log',
    (httpPort, metricsPort) => saslGatewayEnv(process.env, stack, security, httpPort, metricsPort),
    log,
    readyTimeoutMs,
  );
}

/**
 * Starts an extra producer gateway of the bench (same build as the stack's) with the given
 * environment and waits for its `/readyz`.
 */
export async function startExtraGateway(
  stack: StackInfo,
  what: string,
  logName: string,
  envFor: (httpPort: number, metricsPort: number) => Record<string, string>,
  log: (message: string) => void,
  readyTimeoutMs = 120_000,
): Promise<SaslGateway> {
  const entry = resolve(__dirname, '..', '..', 'apps', 'producer-gateway', 'dist', 'main.js');
  const [httpPort, metricsPort] = [await freePort(), await freePort()];
  const logDir = join(stack.runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, logName);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [entry], {
    env: envFor(httpPort, metricsPort),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${entry}`);
  const done = exited(child);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(timer);
  };
  log(`${what} producer gateway: pid ${pid}, ${httpPort}/${metricsPort}, log ${logFile}`);
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `the ${what} producer gateway exited (${child.exitCode ?? child.signalCode}):\n${tail(logFile, 10)}`,
      );
    try {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(
        `the ${what} producer gateway was not ready after ${readyTimeoutMs / 1000} s:\n${tail(logFile, 10)}`,
      );
    }
    await sleep(250);
  }
  return { url: `http://127.0.0.1:${httpPort}`, pid, logFile, stop };
}
