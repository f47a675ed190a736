import { readFileSync } from 'node:fs';
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
  /** pids of the processes whose CPU and memory are reported, by component name */
  readonly pids: ReadonlyMap<string, number>;
}

export const GATEWAY_COMPONENTS = ['producer-gateway', 'consumer-gateway', 'edge'] as const;

export function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m === null) continue;
    vars.set(m[1]!, m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2'));
  }
  return vars;
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
  for (const component of GATEWAY_COMPONENTS) {
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
