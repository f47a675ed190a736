import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { ConsumeCase } from './workloads/consume';
import type { ProduceCase } from './workloads/produce';
import type { V3Case } from './workloads/v3';

export type Mode = 'quick' | 'full';

export interface BenchOptions {
  readonly mode: Mode;
  /** only the codec micro-benchmark (no stack needed) */
  readonly codecOnly: boolean;
  readonly skipCodec: boolean;
  readonly stackEnv: string | undefined;
  /** `gateway`: straight to each gateway's port; `edge`: through the nginx entry point */
  readonly via: 'gateway' | 'edge';
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly partitions: number;
  readonly instances: number;
  /** `max_bytes` of each GET records of the consume rows; undefined: the gateway's default */
  readonly maxBytes: number | undefined;
  /** case-insensitive substrings; a row runs when its id contains one of them (empty: all) */
  readonly only: readonly string[];
  readonly outDir: string;
  readonly label: string | undefined;
  /** a free-text note printed at the top of the report (e.g. where and how it was taken) */
  readonly note: string | undefined;
  readonly runId: string;
  readonly produce: readonly ProduceCase[];
  readonly consume: readonly ConsumeCase[];
  readonly v3: readonly V3Case[];
  readonly codecWarmupMs: number;
  readonly codecDurationMs: number;
  /** run the Java-client rows (kafka-tools ProducerPerformance / ConsumerPerformance) */
  readonly java: boolean;
  /** the java binary: $BENCH_JAVA, else $JAVA_HOME/bin/java, else `java` on the PATH */
  readonly javaBin: string;
  /**
   * `--sasl-ssl`: a twin of every produce row through an extra producer gateway on the stack's
   * SASL_SSL/SCRAM-SHA-512 listener (needs a stack started with `infra/stack up --secure`)
   */
  readonly saslSsl: boolean;
  /**
   * `--auth`: twins of every produce row through an extra producer gateway that requires
   * authentication (AUTH_METHODS=basic,jwt), with Basic and with a JWT (both cached after the
   * first request)
   */
  readonly auth: boolean;
}

export const USAGE = `usage: node bench/dist/main.js [options]   (normally through bench/run.sh)

  --quick               a small subset, ~1.5 minutes of load (the default)
  --full                the whole matrix: binary/json/avro x 100 B/1 KB x 1/10/100/1000 records
                        per request x concurrency 1/16/64, Java producer rows, consume rows (each
                        with a Java consumer line), 1000 instances, codec
  --codec               only the codec micro-benchmark (no stack needed)
  --no-codec            skip the codec micro-benchmark
  --no-java             skip the Java-client rows (kafka-tools ProducerPerformance and
                        ConsumerPerformance; java from $BENCH_JAVA, $JAVA_HOME or the PATH)
  --stack-env FILE      the stack's stack.env (default: $STACK_RUN_DIR/stack.env)
  --via gateway|edge    HTTP rows go straight to the gateways (default) or through nginx
  --warmup SECONDS      per row, excluded from the figures (quick 0.5, full 1)
  --duration SECONDS    measured window per row (quick 2, full 5)
  --partitions N        partitions of each bench topic (default 3)
  --instances N         idle consumer instances for the memory row (default 1000; 0 skips)
  --max-bytes N         max_bytes of each GET records in the consume rows (default: the gateway's)
  --only TEXT           run only rows whose id contains TEXT (repeatable), e.g. "avro"
  --out DIR             where the .md and .json go (default bench/results)
  --label TEXT          result file name <date>-<TEXT>, e.g. quick-sample
  --note TEXT           a note printed at the top of the report
  --auth                also run every produce row through an extra producer gateway that
                        requires authentication, once with Basic and once with a JWT
  --sasl-ssl            also run every produce row through an extra producer gateway on the
                        stack's SASL_SSL listener (SCRAM-SHA-512; stack started with --secure;
                        bench topics are named allowed-bench-…), with SASL_SSL ÷ plaintext ratios
`;

function quickProduce(): ProduceCase[] {
  return [
    { format: 'binary', recordBytes: 1024, recordsPerRequest: 1, concurrency: 16 },
    { format: 'binary', recordBytes: 100, recordsPerRequest: 100, concurrency: 16 },
    { format: 'binary', recordBytes: 1024, recordsPerRequest: 10, concurrency: 16 },
    { format: 'json', recordBytes: 1024, recordsPerRequest: 10, concurrency: 16 },
    { format: 'avro', recordBytes: 1024, recordsPerRequest: 10, concurrency: 16 },
  ];
}

function fullProduce(): ProduceCase[] {
  const cases: ProduceCase[] = [];
  for (const format of ['binary', 'json', 'avro'] as const)
    for (const recordBytes of [100, 1024])
      for (const recordsPerRequest of [1, 10, 100, 1000])
        for (const concurrency of [1, 16, 64])
          cases.push({ format, recordBytes, recordsPerRequest, concurrency });
  return cases;
}

function fail(message: string): never {
  throw new Error(`${message}\n\n${USAGE}`);
}

function seconds(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < 0)
    fail(`${flag} needs a number of seconds`);
  return Math.round(n * 1000);
}

function positiveInt(value: string | undefined, flag: string, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min)
    fail(`${flag} needs an integer >= ${min}`);
  return n;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let mode: Mode = 'quick';
  let codecOnly = false;
  let skipCodec = false;
  let java = true;
  let saslSsl = false;
  let auth = false;
  let stackEnv = env['STACK_RUN_DIR'] ? `${env['STACK_RUN_DIR']}/stack.env` : undefined;
  let via: 'gateway' | 'edge' = 'gateway';
  let warmupMs: number | undefined;
  let durationMs: number | undefined;
  let partitions = 3;
  let instances = 1000;
  let maxBytes: number | undefined;
  const only: string[] = [];
  let outDir = resolve(__dirname, '..', 'results');
  let label: string | undefined;
  let note: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = (): string | undefined => argv[++i];
    switch (arg) {
      case '--quick':
        mode = 'quick';
        break;
      case '--full':
        mode = 'full';
        break;
      case '--codec':
        codecOnly = true;
        break;
      case '--no-codec':
        skipCodec = true;
        break;
      case '--no-java':
        java = false;
        break;
      case '--sasl-ssl':
        saslSsl = true;
        break;
      case '--auth':
        auth = true;
        break;
      case '--stack-env':
        stackEnv = next() ?? fail('--stack-env needs a file');
        break;
      case '--via': {
        const v = next();
        if (v !== 'gateway' && v !== 'edge') fail('--via takes gateway or edge');
        via = v;
        break;
      }
      case '--warmup':
        warmupMs = seconds(next(), arg);
        break;
      case '--duration':
        durationMs = seconds(next(), arg);
        break;
      case '--partitions':
        partitions = positiveInt(next(), arg, 1);
        break;
      case '--instances':
        instances = positiveInt(next(), arg, 0);
        break;
      case '--max-bytes':
        maxBytes = positiveInt(next(), arg, 1);
        break;
      case '--only':
        only.push((next() ?? fail('--only needs a text')).toLowerCase());
        break;
      case '--out':
        outDir = next() ?? fail('--out needs a directory');
        break;
      case '--label':
        label = next() ?? fail('--label needs a text');
        break;
      case '--note':
        note = next() ?? fail('--note needs a text');
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        fail(`unknown option ${arg}`);
    }
  }
  const quick = mode === 'quick';
  return {
    mode,
    codecOnly,
    skipCodec,
    stackEnv,
    via,
    warmupMs: warmupMs ?? (quick ? 500 : 1000),
    durationMs: durationMs ?? (quick ? 2000 : 5000),
    partitions,
    instances,
    maxBytes,
    only,
    outDir,
    label,
    note,
    runId: randomUUID().slice(0, 8),
    produce: quick ? quickProduce() : fullProduce(),
    consume: quick
      ? [
          { format: 'binary', recordBytes: 1024, records: 20_000 },
          { format: 'json', recordBytes: 1024, records: 20_000 },
          { format: 'avro', recordBytes: 1024, records: 20_000 },
        ]
      : [
          { format: 'binary', recordBytes: 100, records: 200_000 },
          { format: 'binary', recordBytes: 1024, records: 100_000 },
          { format: 'json', recordBytes: 100, records: 200_000 },
          { format: 'json', recordBytes: 1024, records: 100_000 },
          { format: 'avro', recordBytes: 100, records: 200_000 },
          { format: 'avro', recordBytes: 1024, records: 100_000 },
        ],
    v3: quick
      ? [{ recordBytes: 1024, recordsPerRequest: 10, concurrency: 16 }]
      : [
          { recordBytes: 1024, recordsPerRequest: 100, concurrency: 1 },
          { recordBytes: 1024, recordsPerRequest: 100, concurrency: 16 },
        ],
    codecWarmupMs: quick ? 200 : 1000,
    codecDurationMs: quick ? 400 : 3000,
    java,
    javaBin: env['BENCH_JAVA'] || (env['JAVA_HOME'] ? `${env['JAVA_HOME']}/bin/java` : 'java'),
    saslSsl,
    auth,
  };
}

export function selected(options: BenchOptions, id: string): boolean {
  if (options.only.length === 0) return true;
  const lower = id.toLowerCase();
  return options.only.some((o) => lower.includes(o));
}
