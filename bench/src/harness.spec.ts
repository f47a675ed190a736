import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RowResult } from './context';
import { closedLoop } from './load';
import { parseOptions, selected } from './options';
import { makeRecords } from './payloads';
import { cpuEfficiency, javaCeilingFor, pairRatios, renderMarkdown, saslSslRatios } from './report';
import type { BenchReport } from './report';
import type { ProcessFigures } from './proc';
import { saslGatewayEnv } from './sasl-gateway';
import {
  isGatewayProcess,
  monitoredComponents,
  parseEnvFile,
  parseSecurityEnv,
  SASL_SSL_GATEWAY,
  AUTH_GATEWAY,
} from './stack';
import { saslSslCaseId } from './workloads/produce';
import { javaProduceSizes } from './workloads/java';
import { LatencyRecorder, median, percentile } from './stats';
import { splitJsonStream } from './workloads/v3';

/** The harness's own logic; no figure is asserted (performance is measured, not tested). */

test('percentiles are nearest-rank over every sample', () => {
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 500);
  assert.equal(percentile(sorted, 0.99), 990);
  assert.equal(percentile(sorted, 0.999), 999);
  const r = new LatencyRecorder();
  for (const v of [5, 1, 3]) r.add(v);
  assert.deepEqual(
    { p50: r.summary()!.p50, p999: r.summary()!.p999, max: r.summary()!.max },
    { p50: 3, p999: 5, max: 5 },
  );
  assert.equal(new LatencyRecorder().summary(), undefined);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('the recorder grows past its first buffer', () => {
  const r = new LatencyRecorder();
  for (let i = 0; i < 10_000; i++) r.add(i);
  assert.equal(r.count, 10_000);
  assert.equal(r.summary()!.max, 9999);
});

test('stack.env lines with or without export and quotes', () => {
  const vars = parseEnvFile(
    'export GATEWAY_URL=http://127.0.0.1:1\nKAFKA_BROKERS="a:1,b:2"\n# comment\n\nbad line\n',
  );
  assert.equal(vars.get('GATEWAY_URL'), 'http://127.0.0.1:1');
  assert.equal(vars.get('KAFKA_BROKERS'), 'a:1,b:2');
  assert.equal(vars.size, 2);
});

test('v3 streaming answers split into objects, braces inside strings included', () => {
  const text =
    '{"error_code":200,"offset":1}\n{"error_code":400,"message":"a } { \\" b"}{"x":{"y":1}}';
  assert.deepEqual(splitJsonStream(text), [
    { error_code: 200, offset: 1 },
    { error_code: 400, message: 'a } { " b' },
    { x: { y: 1 } },
  ]);
});

test('quick mode is a subset; full mode is the whole produce matrix', () => {
  const quick = parseOptions(['--quick'], {});
  const full = parseOptions(['--full', '--only', 'Avro', '--duration', '1.5'], {});
  assert.equal(full.produce.length, 3 * 2 * 4 * 3);
  assert.ok(quick.produce.length < full.produce.length);
  assert.equal(full.durationMs, 1500);
  assert.ok(selected(full, 'produce avro 1 KB x10 c16'));
  assert.ok(!selected(full, 'produce binary 1 KB x10 c16'));
  assert.ok(selected(quick, 'anything'));
  assert.throws(() => parseOptions(['--via', 'nowhere'], {}), /--via/);
  assert.equal(parseOptions([], { STACK_RUN_DIR: '/r' }).stackEnv, '/r/stack.env');
});

test('records have the requested stored size on both sides', () => {
  for (const format of ['binary', 'json'] as const) {
    const r = makeRecords(format, 1024, 3);
    assert.equal(r.envelopeValues.length, 3);
    for (const m of r.serialize()) assert.equal(m.value.length, r.storedBytes);
    assert.ok(Math.abs(r.storedBytes - 1024) <= 2, `${format}: ${r.storedBytes}`);
  }
});

test('the closed loop counts only operations started in the window', async () => {
  let calls = 0;
  let windowOpened = 0;
  let callsAtWindow = 0;
  const result = await closedLoop({
    concurrency: 2,
    warmupMs: 20,
    // long enough that a loaded machine's scheduling gaps (seen: 300 ms at load 25) cannot
    // swallow the whole window
    durationMs: 1000,
    onWindowStart: () => {
      windowOpened++;
      callsAtWindow = calls;
    },
    op: async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      return 10;
    },
  });
  assert.equal(windowOpened, 1);
  // operations started before the window opened are never counted (however slow the machine)
  assert.ok(result.ops > 0, 'operations in the window are counted');
  assert.ok(result.ops <= calls - callsAtWindow, 'warm-up operations are excluded');
  assert.equal(result.records, result.ops * 10);
  assert.equal(result.latency!.count, result.ops);
  assert.equal(result.errors, 0);
});

test('gateway ÷ direct ratios per pair', () => {
  const row = (side: 'gateway' | 'direct', recordsPerSec: number): RowResult => ({
    pair: 'p',
    section: 'produce',
    side,
    method: side,
    params: {},
    recordBytes: 100,
    load: undefined,
    recordsPerSec,
    mbPerSec: recordsPerSec / 10_000,
    servedBy: undefined,
    processes: {},
    clientCpuSeconds: 0,
  });
  const [ratio] = pairRatios([row('gateway', 50), row('direct', 200)]);
  assert.equal(ratio!.recordsPerSec, 0.25);
  assert.equal(ratio!.p50, undefined);
});

const figures = (cpuSeconds: number): ProcessFigures => ({
  pid: 1,
  cpuSeconds,
  cpuPercent: 0,
  rssStartMB: 0,
  rssPeakMB: 0,
  rssEndMB: 0,
});

function mkRow(
  pair: string,
  side: RowResult['side'],
  recordsPerSec: number,
  extra: Partial<RowResult> = {},
): RowResult {
  return {
    pair,
    section: 'produce',
    side,
    method: side,
    params: { recordBytes: 1024 },
    recordBytes: 1024,
    load: {
      ops: 100,
      records: 1000,
      errors: 0,
      firstError: undefined,
      elapsedMs: 1000,
      latency: undefined,
    },
    recordsPerSec,
    mbPerSec: (recordsPerSec * 1024) / 1e6,
    servedBy: undefined,
    processes: {},
    clientCpuSeconds: 0,
    ...extra,
  };
}

test('gateway ÷ Java ceiling: produce rows match the Java producer by record size', () => {
  const rows = [
    mkRow('produce binary 1 KB x10 c16', 'gateway', 5000),
    mkRow('produce binary 1 KB x10 c16', 'direct', 10_000),
    mkRow('produce json 100 B x100 c16', 'gateway', 2000, { params: { recordBytes: 100 } }),
    mkRow('produce java 100 B', 'java', 80_000, { params: { recordBytes: 100 } }),
    mkRow('produce java 1 KB', 'java', 40_000),
    mkRow('produce v3 stream binary 1 KB x10 c16', 'gateway', 4000, { section: 'v3' }),
  ];
  assert.equal(javaCeilingFor(rows, rows[0]!)!.pair, 'produce java 1 KB');
  assert.equal(javaCeilingFor(rows, rows[2]!)!.pair, 'produce java 100 B');
  assert.equal(javaCeilingFor(rows, rows[5]!)!.pair, 'produce java 1 KB');
  const ratios = pairRatios(rows);
  const binary = ratios.find((r) => r.pair === 'produce binary 1 KB x10 c16')!;
  assert.equal(binary.recordsPerSec, 0.5);
  assert.equal(binary.java!.recordsPerSec, 0.125);
  assert.equal(binary.java!.against, 'produce java 1 KB');
  assert.equal(binary.directVsJava!.recordsPerSec, 0.25);
  // no kafkajs twin: the Java ratio alone
  const json = ratios.find((r) => r.pair === 'produce json 100 B x100 c16')!;
  assert.equal(json.recordsPerSec, undefined);
  assert.equal(json.java!.recordsPerSec, 0.025);
  assert.equal(json.directVsJava, undefined);
  // a Java row that did not run is no ceiling
  const failed = [rows[0]!, mkRow('produce java 1 KB', 'java', 0, { notAvailable: 'no java' })];
  assert.equal(javaCeilingFor(failed, rows[0]!), undefined);
  assert.deepEqual(pairRatios(failed), []);
});

test('gateway ÷ Java ceiling: consume rows match the Java consumer of the same pair (topic)', () => {
  const c = (pair: string, side: RowResult['side'], rate: number): RowResult =>
    mkRow(pair, side, rate, { section: 'consume' });
  const rows = [
    c('consume binary 1 KB (20000 records)', 'gateway', 30_000),
    c('consume binary 1 KB (20000 records)', 'direct', 60_000),
    c('consume binary 1 KB (20000 records)', 'java', 120_000),
    c('consume avro 1 KB (20000 records)', 'gateway', 10_000),
    // a produce Java row of the same size is not a consume ceiling
    mkRow('produce java 1 KB', 'java', 40_000),
  ];
  const [binary, avro] = pairRatios(rows);
  assert.equal(binary!.java!.recordsPerSec, 0.25);
  assert.equal(binary!.directVsJava!.recordsPerSec, 0.5);
  assert.equal(avro, undefined);
});

test('CPU per 100k records and per 10k requests', () => {
  const gateway = mkRow('p', 'gateway', 1000, {
    processes: {
      'producer-gateway': figures(1.5),
      'producer-gateway-2': figures(0.4),
      'consumer-gateway': figures(0.1),
      edge: figures(9),
    },
  });
  const g = cpuEfficiency(gateway)!;
  assert.equal(g.of, 'gateway processes');
  // every gateway process, replicas included, nginx not: 2 CPU-s for 1000 records in 100 requests
  assert.equal(g.cpuSeconds, 2);
  assert.deepEqual(g.processes, ['producer-gateway', 'producer-gateway-2', 'consumer-gateway']);
  assert.equal(g.perHundredThousandRecords, 200);
  assert.equal(g.perTenThousandRequests, 200);
  const java = cpuEfficiency(mkRow('j', 'java', 1000, { clientCpuSeconds: 0.5 }))!;
  assert.equal(java.of, 'measuring process');
  assert.equal(java.perHundredThousandRecords, 50);
  assert.equal(java.perTenThousandRequests, undefined);
  // consume direct rows have no ops
  const direct = mkRow('d', 'direct', 1, { clientCpuSeconds: 1 });
  assert.equal(
    cpuEfficiency({ ...direct, load: { ...direct.load!, ops: 0 } })!.perTenThousandRequests,
    undefined,
  );
  assert.equal(cpuEfficiency(mkRow('x', 'gateway', 1)), undefined, 'no gateway pid known');
  assert.equal(cpuEfficiency(mkRow('x', 'java', 0, { notAvailable: 'no java' })), undefined);
});

test('the markdown table has the new columns on every line', () => {
  const rows = [
    mkRow('produce binary 1 KB x10 c16', 'gateway', 5000, {
      processes: { 'producer-gateway': figures(1) },
      servedBy: 'producer-gateway',
    }),
    mkRow('produce binary 1 KB x10 c16', 'direct', 10_000, { clientCpuSeconds: 0.2 }),
    mkRow('produce java 1 KB', 'java', 40_000, { clientCpuSeconds: 0.1 }),
    mkRow('produce java 100 B', 'java', 0, { notAvailable: 'skipped (--no-java)' }),
  ];
  const report: BenchReport = {
    tool: 'kafka-gateway-bench',
    version: 3,
    mode: 'quick',
    label: undefined,
    note: undefined,
    machine: {
      cpuModel: 'cpu',
      cores: 2,
      ramGiB: 1,
      freeRamGiB: 1,
      node: 'v20',
      kernel: 'k',
      date: '2026-12-01T00:00:00.000Z',
      loadAverage: [0, 0, 0],
    },
    loadAverageAtEnd: [0, 0, 0],
    settings: {},
    rows: rows.map((r) => ({ ...r, cpu: cpuEfficiency(r) })),
    ratios: pairRatios(rows),
    saslSslRatios: saslSslRatios(rows),
    instances: undefined,
    codec: [],
    durationSeconds: 1,
  };
  const lines = renderMarkdown(report)
    .split('\n')
    .filter((l) => l.startsWith('| '));
  const cells = (l: string): string[] => l.split('|').map((c) => c.trim());
  const header = cells(lines[0]!);
  for (const l of lines) assert.equal(cells(l).length, header.length, l);
  const col = (l: string, name: string): string => cells(l)[header.indexOf(name)]!;
  assert.ok(header.includes('CPU s / 100k records'));
  assert.ok(header.includes('gateway CPU s / 10k requests'));
  const [, gateway, direct, java] = lines.slice(1);
  assert.equal(col(gateway!, 'CPU s / 100k records'), '100.00');
  assert.equal(col(gateway!, 'gateway CPU s / 10k requests'), '100.00');
  assert.equal(col(direct!, 'CPU s / 100k records'), '20.00');
  assert.equal(col(java!, 'CPU s / 100k records'), '10.00');
  assert.match(gateway!, /rec\/s 0\.13× \|$/);
  assert.match(direct!, /\(kafkajs 0\.25×\) \|$/);
  assert.match(java!, /ceiling \|$/);
});

test('gateway replicas are monitored; nginx is not a gateway process', () => {
  assert.deepEqual(
    monitoredComponents([
      'kafka.pid',
      'producer-gateway.pid',
      'producer-gateway-2.pid',
      'consumer-gateway.pid',
      'edge.pid',
      'redis.pid',
    ]),
    ['consumer-gateway', 'producer-gateway', 'producer-gateway-2', 'edge'],
  );
  assert.ok(isGatewayProcess('consumer-gateway-12'));
  assert.ok(!isGatewayProcess('edge'));
  assert.ok(!isGatewayProcess('producer-gateway-x'));
});

test('Java producer rows at every selected record size, quick and full', () => {
  assert.deepEqual(javaProduceSizes(parseOptions(['--quick'], {})), [100, 1024]);
  assert.deepEqual(javaProduceSizes(parseOptions(['--full'], {})), [100, 1024]);
  assert.deepEqual(javaProduceSizes(parseOptions(['--only', 'avro 1 KB x10'], {})), [1024]);
  assert.deepEqual(javaProduceSizes(parseOptions(['--only', 'produce java 100 B'], {})), [100]);
  assert.deepEqual(javaProduceSizes(parseOptions(['--only', 'consume'], {})), []);
  assert.deepEqual(javaProduceSizes(parseOptions(['--no-java'], {})), []);
  const env = { JAVA_HOME: '/jdk' };
  assert.equal(parseOptions([], env).javaBin, '/jdk/bin/java');
  assert.equal(parseOptions([], { ...env, BENCH_JAVA: '/x/java' }).javaBin, '/x/java');
  assert.equal(parseOptions([], {}).javaBin, 'java');
});

test('--sasl-ssl: parsed, off by default; security.env gives the SASL_SSL gateway its settings', () => {
  assert.equal(parseOptions(['--quick'], {}).saslSsl, false);
  const o = parseOptions(['--quick', '--sasl-ssl', '--no-java'], {});
  assert.equal(o.saslSsl, true);
  assert.equal(o.java, false);
  const produce = parseOptions(['--quick'], {}).produce;
  assert.equal(saslSslCaseId(produce[2]!), 'produce binary 1 KB x10 c16 (SASL_SSL)');
  const vars = parseEnvFile(
    [
      'export KAFKA_SASL_SSL_BROKERS=127.0.0.1:9094',
      'export KAFKA_SCRAM_USERNAME=gateway',
      'export KAFKA_SCRAM_PASSWORD_FILE=/s/scram.password',
      'export KAFKA_SCRAM_PASSWORD=secret',
      'export TLS_CA_FILE=/s/ca.crt',
    ].join('\n'),
  );
  const security = parseSecurityEnv(vars, 'security.env');
  assert.equal(security.allowedPrefix, 'allowed-', 'the stack ACLs prefix by default');
  assert.throws(
    () => parseSecurityEnv(new Map([...vars].filter(([k]) => k !== 'TLS_CA_FILE')), 'x'),
    /TLS_CA_FILE.*--secure/,
  );
  const env = saslGatewayEnv(
    { PATH: '/bin', KAFKA_BROKERS: '127.0.0.1:9092', HTTP_PORT: '1', KAFKA_SASL_PASSWORD: 'x' },
    { schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7' },
    security,
    4000,
    4001,
  );
  assert.deepEqual(env, {
    PATH: '/bin',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '4000',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '4001',
    KAFKA_BROKERS: '127.0.0.1:9094',
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_LOCATION: '/s/ca.crt',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: 'gateway',
    KAFKA_SASL_PASSWORD_FILE: '/s/scram.password',
    SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
    LOG_LEVEL: 'info',
  });
  // the SASL_SSL gateway is a gateway process: its CPU counts on the gateway lines
  assert.ok(isGatewayProcess(SASL_SSL_GATEWAY));
});

test('SASL_SSL ÷ plaintext: ratios per twin, in the JSON and the markdown', () => {
  const latency = (p50: number, p99: number): NonNullable<RowResult['load']>['latency'] => ({
    count: 100,
    mean: p50,
    p50,
    p99,
    p999: p99,
    max: p99,
  });
  const load = (p50: number, p99: number): RowResult['load'] => ({
    ops: 100,
    records: 1000,
    errors: 0,
    firstError: undefined,
    elapsedMs: 1000,
    latency: latency(p50, p99),
  });
  const pair = 'produce binary 1 KB x10 c16';
  const rows = [
    mkRow(pair, 'gateway', 8000, {
      load: load(10, 40),
      servedBy: 'producer-gateway',
      processes: { 'producer-gateway': figures(1), [SASL_SSL_GATEWAY]: figures(0) },
    }),
    mkRow(pair, 'direct', 16_000, { load: load(5, 10) }),
    mkRow(`${pair} (SASL_SSL)`, 'gateway', 6000, {
      load: load(15, 80),
      servedBy: SASL_SSL_GATEWAY,
      processes: { 'producer-gateway': figures(0.1), [SASL_SSL_GATEWAY]: figures(1.9) },
      saslSslTwinOf: pair,
    }),
    // a twin that failed gives no ratio
    mkRow('produce json 1 KB x10 c16 (SASL_SSL)', 'gateway', 0, {
      notAvailable: 'failed: x',
      saslSslTwinOf: 'produce json 1 KB x10 c16',
    }),
    mkRow('produce json 1 KB x10 c16', 'gateway', 7000),
  ];
  const sasl = saslSslRatios(rows);
  assert.equal(sasl.length, 1);
  assert.equal(sasl[0]!.pair, pair);
  assert.equal(sasl[0]!.saslSslPair, `${pair} (SASL_SSL)`);
  assert.equal(sasl[0]!.recordsPerSec, 0.75);
  assert.equal(sasl[0]!.p50, 1.5);
  assert.equal(sasl[0]!.p99, 2);
  assert.deepEqual(sasl[0]!.plaintext, { recordsPerSec: 8000, p50: 10, p99: 40 });
  // gateway ÷ direct stays the plaintext pair's; the twin has no kafkajs twin of its own
  const ratios = pairRatios(rows);
  assert.equal(ratios.find((r) => r.pair === pair)!.recordsPerSec, 0.5);
  // CPU of every gateway process, the SASL_SSL one included
  assert.equal(cpuEfficiency(rows[2]!)!.cpuSeconds, 2);
  const report: BenchReport = {
    tool: 'kafka-gateway-bench',
    version: 3,
    mode: 'quick',
    label: undefined,
    note: undefined,
    machine: {
      cpuModel: 'cpu',
      cores: 2,
      ramGiB: 1,
      freeRamGiB: 1,
      node: 'v20',
      kernel: 'k',
      date: '2026-12-01T00:00:00.000Z',
      loadAverage: [0, 0, 0],
    },
    loadAverageAtEnd: [0, 0, 0],
    settings: { saslSsl: true },
    rows: rows.map((r) => ({ ...r, cpu: cpuEfficiency(r) })),
    ratios,
    saslSslRatios: sasl,
    instances: undefined,
    codec: [],
    durationSeconds: 1,
  };
  const md = renderMarkdown(report);
  const twinLine = md.split('\n').find((l) => l.startsWith(`| ${pair} (SASL_SSL) | gateway`))!;
  assert.match(twinLine, /SASL_SSL ÷ plaintext: rec\/s 0\.75×, p50 1\.50×/);
  assert.match(twinLine, /\| 1\.90 \(/, 'its own CPU in the gateway CPU column');
  assert.match(md, /## Produce: SASL_SSL \(SCRAM-SHA-512 over TLS\) ÷ plaintext/);
  assert.ok(
    md.includes(`| ${pair} | 8,000 | 6,000 | 0.75× | 10.0 | 15.0 | 1.50× | 40.0 | 80.0 | 2.00× |`),
    md,
  );
  const tables = md.split('\n').filter((l) => l.startsWith('| '));
  assert.ok(tables.length > 0);
  // without --sasl-ssl there is no such section
  assert.doesNotMatch(renderMarkdown({ ...report, saslSslRatios: [] }), /SASL_SSL\) ÷ plaintext/);
});

test('--auth: parsed, off by default; its gateway counts as a gateway process', () => {
  assert.equal(parseOptions(['--quick'], {}).auth, false);
  assert.equal(parseOptions(['--quick', '--auth'], {}).auth, true);
  assert.ok(isGatewayProcess(AUTH_GATEWAY));
});
