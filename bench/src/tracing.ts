import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { HttpClient } from './http-client';
import { closedLoop, type LoadResult } from './load';
import { describeMachine } from './machine';
import { parseEnvFile } from './stack';
import { median } from './stats';

/**
 * Cost of tracing on the produce path, in one run: two producer gateways on the same stack, one
 * with tracing off and one with it on (exporting to an OTLP/HTTP sink in this process, which
 * counts and drops the spans), loaded alternately round by round with the same v2 produce, so
 * both see the same broker and machine state. Reports each round and the median, and the spread.
 *
 *   node bench/dist/tracing.js --tracing [--quick] [--stack-env .run/stack/stack.env]
 *
 * Needs Kafka from a running stack (`infra/stack up --infra-only` is enough).
 */
const ROUNDS_QUICK = 3;
const ROUNDS_FULL = 6;
const WARMUP_MS = 1000;
const WINDOW_MS_QUICK = 3000;
const WINDOW_MS_FULL = 10_000;
const CONCURRENCY = 16;
const RECORDS_PER_REQUEST = 10;
const RECORD_BYTES = 1024;

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function startProducer(
  brokers: string,
  extra: Record<string, string>,
  children: ChildProcess[],
): Promise<string> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [join(__dirname, '..', '..', 'apps', 'producer-gateway', 'dist', 'main.js')],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: process.env['PATH'],
        KAFKA_BROKERS: brokers,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'error',
        LOG_ACCESS: 'off',
        ...extra,
      },
    },
  );
  children.push(child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ready) return `http://127.0.0.1:${port}`;
    if (Date.now() > deadline) throw new Error('producer gateway did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
  if (!args.includes('--tracing')) throw new Error('usage: tracing.js --tracing [--quick|--full]');
  const full = args.includes('--full');
  const rounds = full ? ROUNDS_FULL : ROUNDS_QUICK;
  const windowMs = full ? WINDOW_MS_FULL : WINDOW_MS_QUICK;
  const env = parseEnvFile(readFileSync(arg('--stack-env', '.run/stack/stack.env'), 'utf8'));
  const brokers = env.get('KAFKA_BROKERS') ?? '127.0.0.1:9092';
  const machine = describeMachine();

  let spans = 0;
  const sink = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      spans += (text.match(/"spanId"/g) ?? []).length;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const otlp = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;

  const topic = `bench-trace-${randomUUID().slice(0, 8)}`;
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();

  const children: ChildProcess[] = [];
  try {
    const [offUrl, onUrl] = await Promise.all([
      startProducer(brokers, {}, children),
      startProducer(
        brokers,
        { TRACING_ENABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: otlp },
        children,
      ),
    ]);
    const value = Buffer.alloc(RECORD_BYTES, 'x').toString('base64');
    const body = JSON.stringify({
      records: Array.from({ length: RECORDS_PER_REQUEST }, () => ({ value })),
    });
    const headers = {
      'content-type': 'application/vnd.kafka.binary.v2+json',
      accept: 'application/vnd.kafka.v2+json',
    };
    const run = async (url: string): Promise<LoadResult> => {
      const client = new HttpClient(url, CONCURRENCY);
      return closedLoop({
        concurrency: CONCURRENCY,
        warmupMs: WARMUP_MS,
        durationMs: windowMs,
        op: async () => {
          const a = await client.request('POST', `/topics/${topic}`, headers, body);
          if (a.status !== 200) throw new Error(`HTTP ${a.status}: ${a.text.slice(0, 200)}`);
          return RECORDS_PER_REQUEST;
        },
      });
    };
    const sides = { off: [] as LoadResult[], on: [] as LoadResult[] };
    for (let i = 0; i < rounds; i++) {
      // alternate which side goes first, so a drift of the machine does not favour one
      const order: ('off' | 'on')[] = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const side of order) sides[side].push(await run(side === 'off' ? offUrl : onUrl));
    }
    const rate = (r: LoadResult): number => (r.records * 1000) / r.elapsedMs;
    const row = (side: 'off' | 'on'): string => {
      const rs = sides[side];
      const rates = rs.map(rate);
      const p50 = rs.map((r) => r.latency?.p50 ?? Number.NaN);
      const p99 = rs.map((r) => r.latency?.p99 ?? Number.NaN);
      const errors = rs.reduce((n, r) => n + r.errors, 0);
      const f = (xs: number[], d = 0): string => xs.map((x) => x.toFixed(d)).join(' / ');
      return `| tracing ${side} | ${median(rates).toFixed(0)} | ${f(rates)} | ${median(p50).toFixed(1)} | ${f(p50, 1)} | ${median(p99).toFixed(1)} | ${f(p99, 1)} | ${errors} |`;
    };
    const offMedian = median(sides.off.map(rate));
    const onMedian = median(sides.on.map(rate));
    const endLoad = loadavg().map((l) => Math.round(l * 100) / 100);
    const lines = [
      `# Produce path: tracing on vs off (${full ? 'full' : 'quick'})`,
      '',
      `- Machine: ${machine.cpuModel}, ${machine.cores} cores; Node ${machine.node}; ${machine.date}`,
      `- Load average (1/5/15 min) at start ${machine.loadAverage.join(' / ')}, at end ${endLoad.join(' / ')}` +
        ' — the machine is shared with other work: a ratio within this run is what counts, and only beyond the spread below',
      `- v2 binary produce, ${RECORDS_PER_REQUEST} records of ${RECORD_BYTES} B per request, ${CONCURRENCY} concurrent clients, ${rounds} alternating rounds of ${windowMs / 1000} s (after ${WARMUP_MS / 1000} s warm-up) per side; two producer gateways on the same Kafka, LOG_ACCESS=off; tracing on exports to an OTLP/HTTP sink in the bench process (spans received: ${spans})`,
      '',
      '| Side | records/s median | records/s per round | p50 ms median | p50 per round | p99 ms median | p99 per round | errors |',
      '| --- | ---: | --- | ---: | --- | ---: | --- | ---: |',
      row('off'),
      row('on'),
      '',
      `**on ÷ off** (records/s, medians): ${(onMedian / offMedian).toFixed(3)}`,
      '',
    ];
    const text = lines.join('\n');
    process.stdout.write(`${text}\n`);
    const dir = join(__dirname, '..', 'results');
    mkdirSync(dir, { recursive: true });
    const name = `${machine.date.slice(0, 10)}-tracing-${full ? 'full' : 'quick'}.md`;
    writeFileSync(join(dir, name), text);
    process.stdout.write(`written to bench/results/${name}\n`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    sink.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
