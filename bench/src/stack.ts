import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from './proc';

/** The addresses of a running stack, as `infra/stack` writes them to `<run dir>/stack.env`. */
export interface StackInfo {
  readonly runDir: string;
  readonly gatewayUrl: string;
  readonly producerUrl: string;
  readonly consumerUrl: string;
  readonly brokers: string[];
  readonly schemaRegistryUrl: string;
  /** the consumer gateway's management port (Prometheus text at /metrics), if known */
  readonly consumerMetricsUrl: string | undefined;
  /**
   * pids of the processes whose CPU and memory are reported, by component name: the edge and
   * every gateway replica (`producer-gateway`, `producer-gateway-2`, …, `consumer-gateway`, …)
   */
  readonly pids: ReadonlyMap<string, number>;
}

export const GATEWAY_COMPONENTS = ['producer-gateway', 'consumer-gateway', 'edge'] as const;

/** The extra producer gateway of `--sasl-ssl`, started by the bench itself (no pid file). */
export const SASL_SSL_GATEWAY = 'producer-gateway-sasl-ssl';

/** The extra producer gateway of `--auth` (AUTH_METHODS=basic,jwt), started by the bench. */
export const AUTH_GATEWAY = 'producer-gateway-auth';

/**
 * Component names of gateway processes: replica 1 and replicas `-2`, `-3`… of a scaled stack,
 * and the bench's own SASL_SSL producer gateway.
 */
const GATEWAY_PROCESS =
  /^(?:(?:producer|consumer)-gateway(?:-\d+)?|producer-gateway-sasl-ssl|producer-gateway-auth)$/;

/** Whether a monitored component is a gateway process (the Node gateways, not nginx). */
export function isGatewayProcess(component: string): boolean {
  return GATEWAY_PROCESS.test(component);
}

/** The components whose pids are read: every gateway replica with a pid file, and the edge. */
export function monitoredComponents(pidFiles: readonly string[]): string[] {
  const gateways = pidFiles
    .filter((f) => f.endsWith('.pid'))
    .map((f) => f.slice(0, -'.pid'.length))
    .filter((c) => isGatewayProcess(c))
    .sort();
  return [...gateways, 'edge'];
}

export function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m === null) continue;
    vars.set(m[1]!, m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2'));
  }
  return vars;
}

/** What `--sasl-ssl` needs from `<run dir>/security.env` (written by `infra/stack up --secure`). */
export interface SecurityInfo {
  readonly saslSslBrokers: string;
  readonly scramUsername: string;
  readonly scramPasswordFile: string;
  readonly caFile: string;
  /** the prefix of the topics and groups the ACLs allow `User:gateway` (`allowed-`) */
  readonly allowedPrefix: string;
}

export function parseSecurityEnv(vars: ReadonlyMap<string, string>, source: string): SecurityInfo {
  const need = (name: string): string => {
    const v = vars.get(name);
    if (v === undefined || v === '')
      throw new Error(`${source} does not set ${name} (start the stack with --secure)`);
    return v;
  };
  return {
    saslSslBrokers: need('KAFKA_SASL_SSL_BROKERS'),
    scramUsername: need('KAFKA_SCRAM_USERNAME'),
    scramPasswordFile: need('KAFKA_SCRAM_PASSWORD_FILE'),
    caFile: need('TLS_CA_FILE'),
    allowedPrefix: vars.get('KAFKA_ALLOWED_PREFIX') || 'allowed-',
  };
}

/** `security.env` of the stack's run directory; missing: the stack was not started --secure. */
export function loadSecurity(runDir: string): SecurityInfo {
  const path = join(runDir, 'security.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(
      `--sasl-ssl: no ${path}: the stack was not started with --secure (infra/stack up --secure)`,
    );
  }
  return parseSecurityEnv(parseEnvFile(text), path);
}

/**
 * Reads `stack.env` and the pid files next to it. A pid file holds "<pid> <start time>"; a pid
 * whose start time differs belongs to some later process and is not used.
 */
export function loadStack(stackEnvPath: string): StackInfo {
  const vars = parseEnvFile(readFileSync(stackEnvPath, 'utf8'));
  const need = (name: string): string => {
    const v = vars.get(name);
    if (v === undefined || v === '') throw new Error(`${stackEnvPath} does not set ${name}`);
    return v;
  };
  const runDir = need('STACK_RUN_DIR');
  const pids = new Map<string, number>();
  let pidFiles: string[] = [];
  try {
    pidFiles = readdirSync(join(runDir, 'pids'));
  } catch {
    // no pid files: no CPU/RSS figures
  }
  for (const component of monitoredComponents(pidFiles)) {
    let text: string;
    try {
      text = readFileSync(join(runDir, 'pids', `${component}.pid`), 'utf8');
    } catch {
      continue;
    }
    const [pid, started] = text.trim().split(/\s+/);
    const n = Number(pid);
    if (Number.isInteger(n) && n > 0 && processStartTime(n) === started) pids.set(component, n);
  }
  return {
    runDir,
    gatewayUrl: need('GATEWAY_URL'),
    producerUrl: need('PRODUCER_URL'),
    consumerUrl: need('CONSUMER_URL'),
    brokers: need('KAFKA_BROKERS').split(','),
    schemaRegistryUrl: need('SCHEMA_REGISTRY_URL'),
    consumerMetricsUrl: vars.get('CONSUMER_METRICS_URL'),
    pids,
  };
}
