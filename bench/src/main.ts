import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { HttpSchemaRegistry, SchemaSerde } from '@kafka-gateway/codec';
import { type CodecRow, runCodecBench } from './codec';
import type { BenchContext, RowResult } from './context';
import { DirectKafka } from './kafka';
import { describeMachine } from './machine';
import { type BenchOptions, parseOptions, selected, USAGE } from './options';
import {
  type BenchReport,
  cpuEfficiency,
  pairRatios,
  renderMarkdown,
  saslSslRatios,
} from './report';
import { type SaslGateway, startSaslGateway } from './sasl-gateway';
import { startAuthGateway } from './auth-gateway';
import {
  GATEWAY_COMPONENTS,
  loadSecurity,
  loadStack,
  SASL_SSL_GATEWAY,
  AUTH_GATEWAY,
  type SecurityInfo,
} from './stack';
import { consumeCaseId, consumePair } from './workloads/consume';
import { type InstancesResult, measureInstances } from './workloads/instances';
import { javaProduceId, javaProduceRow, javaProduceSizes } from './workloads/java';
import { authCaseId, produceCaseId, producePair, saslSslCaseId } from './workloads/produce';
import { v3CaseId, v3Pair } from './workloads/v3';

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

function failedRow(pair: string, section: RowResult['section'], err: unknown): RowResult {
  const message = err instanceof Error ? err.message : String(err);
  log(`  ${pair} failed: ${message}`);
  return {
    pair,
    section,
    side: 'gateway',
    method: 'failed',
    params: {},
    recordBytes: 0,
    load: undefined,
    recordsPerSec: 0,
    mbPerSec: 0,
    servedBy: undefined,
    processes: {},
    clientCpuSeconds: 0,
    notAvailable: `failed: ${message}`,
  };
}

async function stackRows(
  options: BenchOptions,
): Promise<{ rows: RowResult[]; instances: InstancesResult | { skipped: string } | undefined }> {
  if (options.stackEnv === undefined) {
    throw new Error(
      `no stack: pass --stack-env <run dir>/stack.env or set STACK_RUN_DIR\n\n${USAGE}`,
    );
  }
  let stack = loadStack(options.stackEnv);
  // --sasl-ssl: fails at once when the stack was not started --secure
  const security: SecurityInfo | undefined = options.saslSsl
    ? loadSecurity(stack.runDir)
    : undefined;
  for (const c of GATEWAY_COMPONENTS) {
    const pid = stack.pids.get(c);
    log(`${c}: ${pid === undefined ? 'pid unknown (no CPU/RSS figures)' : `pid ${pid}`}`);
  }
  for (const [c, pid] of stack.pids)
    if (!(GATEWAY_COMPONENTS as readonly string[]).includes(c)) log(`${c}: pid ${pid}`);
  // the topics (created through the PLAINTEXT listener) carry the prefix the ACLs allow User:gateway
  const direct = new DirectKafka(stack.brokers, options.runId, security?.allowedPrefix ?? '');
  await direct.connect();
  const registry = new HttpSchemaRegistry({ url: stack.schemaRegistryUrl });
  const produceCases = options.produce.filter(
    (c) =>
      selected(options, produceCaseId(c)) ||
      (options.saslSsl && selected(options, saslSslCaseId(c))) ||
      (options.auth && selected(options, authCaseId(c, 'basic'))),
  );
  let saslProcess: SaslGateway | undefined;
  let saslGateway: BenchContext['saslGateway'];
  if (security !== undefined && produceCases.length > 0) {
    try {
      saslProcess = await startSaslGateway(stack, security, log);
      // monitored in every row from here on, like the stack's own gateways
      stack = { ...stack, pids: new Map([...stack.pids, [SASL_SSL_GATEWAY, saslProcess.pid]]) };
      saslGateway = { url: saslProcess.url, component: SASL_SSL_GATEWAY };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`SASL_SSL producer gateway failed: ${message}`);
      saslGateway = { error: message.split('\n')[0]! };
    }
  }
  let authProcess: SaslGateway | undefined;
  let authGateway: BenchContext['authGateway'];
  if (options.auth && produceCases.length > 0) {
    try {
      const started = await startAuthGateway(stack, log);
      authProcess = started;
      stack = { ...stack, pids: new Map([...stack.pids, [AUTH_GATEWAY, started.pid]]) };
      authGateway = {
        url: started.url,
        component: AUTH_GATEWAY,
        authorization: started.authorization,
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`authenticating producer gateway failed: ${message}`);
      authGateway = { error: message.split('\n')[0]! };
    }
  }
  const ctx: BenchContext = {
    options,
    stack,
    direct,
    registry,
    serde: new SchemaSerde(registry),
    producerBase: options.via === 'edge' ? stack.gatewayUrl : stack.producerUrl,
    consumerBase: options.via === 'edge' ? stack.gatewayUrl : stack.consumerUrl,
    ...(saslGateway === undefined ? {} : { saslGateway }),
    ...(authGateway === undefined ? {} : { authGateway }),
    log,
  };
  const rows: RowResult[] = [];
  let instances: InstancesResult | { skipped: string } | undefined;
  try {
    for (const c of produceCases) {
      const id = produceCaseId(c);
      log(id);
      try {
        rows.push(...(await producePair(ctx, c)));
      } catch (err) {
        rows.push(failedRow(id, 'produce', err));
      }
    }
    for (const c of options.v3) {
      const id = v3CaseId(c);
      if (!selected(options, id)) continue;
      log(id);
      try {
        rows.push(...(await v3Pair(ctx, c)));
      } catch (err) {
        rows.push(failedRow(id, 'v3', err));
      }
    }
    // the Java producer (the ceiling) at every record size of the selected produce rows
    for (const size of javaProduceSizes(options)) {
      const id = javaProduceId(size);
      log(id);
      try {
        rows.push(await javaProduceRow(ctx, size));
      } catch (err) {
        rows.push({ ...failedRow(id, 'produce', err), side: 'java' });
      }
    }
    // before the consume rows, so the baseline is a consumer gateway that has not fetched yet
    if (options.instances > 0 && selected(options, 'consumer instances memory')) {
      log(`consumer instances memory: ${options.instances} idle instances`);
      try {
        instances = await measureInstances(ctx, options.instances);
      } catch (err) {
        instances = { skipped: `failed: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    for (const c of options.consume) {
      const id = consumeCaseId(c);
      if (!selected(options, id)) continue;
      log(id);
      try {
        rows.push(...(await consumePair(ctx, c)));
      } catch (err) {
        rows.push(failedRow(id, 'consume', err));
      }
    }
  } finally {
    await Promise.allSettled([direct.close(), saslProcess?.stop(), authProcess?.stop()]);
  }
  return { rows, instances };
}

function timestamp(d: Date): { date: string; time: string } {
  const iso = d.toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19).replace(/:/g, '') };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const started = performance.now();
  const machine = describeMachine();
  log(`mode ${options.mode}${options.codecOnly ? ' (codec only)' : ''}, run ${options.runId}`);

  const { rows, instances } = options.codecOnly
    ? { rows: [], instances: undefined }
    : await stackRows(options);

  let codec: CodecRow[] = [];
  if (!options.skipCodec && (options.codecOnly || selected(options, 'codec'))) {
    log('codec micro-benchmark');
    codec = await runCodecBench(
      {
        warmupMs: options.codecWarmupMs,
        durationMs: options.codecDurationMs,
        recordBytes: 1024,
      },
      log,
    );
  }

  const report: BenchReport = {
    tool: 'kafka-gateway-bench',
    version: 3,
    mode: options.mode,
    label: options.label,
    note: options.note,
    machine,
    loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    settings: {
      via: options.via,
      warmupSeconds: options.warmupMs / 1000,
      durationSeconds: options.durationMs / 1000,
      partitions: options.partitions,
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.only.length > 0 ? { only: options.only.join('+') } : {}),
      ...(options.saslSsl ? { saslSsl: true } : {}),
      ...(options.auth ? { auth: true } : {}),
    },
    rows: rows.map((r) => ({ ...r, cpu: cpuEfficiency(r) })),
    ratios: pairRatios(rows),
    saslSslRatios: saslSslRatios(rows),
    instances,
    codec,
    durationSeconds: (performance.now() - started) / 1000,
  };
  const markdown = renderMarkdown(report);
  mkdirSync(options.outDir, { recursive: true });
  const { date, time } = timestamp(new Date(machine.date));
  const base = join(options.outDir, `${date}-${options.label ?? `${options.mode}-${time}`}`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(markdown + '\n');
  log(`wrote ${base}.md and ${base}.json`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
