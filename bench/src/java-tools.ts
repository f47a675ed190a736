import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sampleProcess } from './proc';

/**
 * Kafka's own performance tools (org.apache.kafka:kafka-tools, the Java client), run as child
 * processes for the "Java ceiling" rows: `ProducerPerformance` and `ConsumerPerformance`. Their
 * jars are fetched by `bench/run.sh` (`mvn -f bench/java/pom.xml package`) into this folder.
 */
export const JAVA_LIBS_DIR = resolve(__dirname, '..', 'java', 'target', 'libs');

export const PRODUCER_PERFORMANCE = 'org.apache.kafka.tools.ProducerPerformance';
export const CONSUMER_PERFORMANCE = 'org.apache.kafka.tools.ConsumerPerformance';

/** ISO 8601 with offset, so ConsumerPerformance's start/end times parse with `Date.parse`. */
export const CONSUMER_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

/** The version of `kafka-tools-<version>.jar` among `files`, if there is exactly one. */
export function kafkaToolsVersion(files: readonly string[]): string | undefined {
  const versions = files
    .map((f) => /^kafka-tools-(\d[\w.-]*)\.jar$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined);
  return versions.length === 1 ? versions[0] : undefined;
}

/** The kafka-tools version in `dir`, or why the Java rows cannot run. */
export function findKafkaTools(dir: string): { version: string } | { missing: string } {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    files = [];
  }
  const version = kafkaToolsVersion(files);
  if (version !== undefined) return { version };
  return {
    missing:
      files.length === 0
        ? `no kafka-tools jars in ${dir} (bench/run.sh fetches them: mvn -f bench/java/pom.xml package)`
        : `expected exactly one kafka-tools-<version>.jar in ${dir}`,
  };
}

/** `<kafka.version>` of a pom (infra/pom.xml holds the broker's). */
export function pomKafkaVersion(pom: string): string | undefined {
  return /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom)?.[1];
}

/** The final line of ProducerPerformance (`Stats.printTotal`). */
export interface ProducerPerfSummary {
  /** records acknowledged without error */
  readonly records: number;
  readonly recordsPerSec: number;
  /** as printed: MiB (2^20 bytes) per second */
  readonly mibPerSec: number;
  readonly avgMs: number;
  readonly maxMs: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  /** from the tool's first send to the line (records ÷ records/s) */
  readonly elapsedMs: number;
}

const NUM = '(\\d+(?:\\.\\d+)?)';
const PRODUCER_TOTAL = new RegExp(
  `^(\\d+) records sent, ${NUM} records/sec \\(${NUM} MB/sec\\), ${NUM} ms avg latency, ` +
    `${NUM} ms max latency, (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99\\.9th\\.$`,
);

/**
 * The summary of a ProducerPerformance run: its last line with percentiles. The lines it prints
 * every 5 s (records sent, records/sec, avg and max latency of that interval) are not used.
 */
export function parseProducerPerformance(stdout: string): ProducerPerfSummary | undefined {
  const lines = stdout.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = PRODUCER_TOTAL.exec(lines[i]!);
    if (m === null) continue;
    const [records, rate, mib, avg, max, p50, p95, p99, p999] = m.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return {
      records,
      recordsPerSec: rate,
      mibPerSec: mib,
      avgMs: avg,
      maxMs: max,
      p50,
      p95,
      p99,
      p999,
      elapsedMs: rate > 0 ? (records / rate) * 1000 : 0,
    };
  }
  return undefined;
}

/** The CSV line of ConsumerPerformance (without --show-detailed-stats). */
export interface ConsumerPerfSummary {
  /** epoch ms: after the consumer was created, before it subscribed */
  readonly startMs: number;
  /** epoch ms: when the last record was read (before close) */
  readonly endMs: number;
  readonly mib: number;
  readonly records: number;
  /** group join until partitions were assigned */
  readonly rebalanceMs: number;
  /** end − start − rebalance: the measured window */
  readonly fetchMs: number;
  readonly fetchMibPerSec: number;
  readonly fetchRecordsPerSec: number;
  /** the tool gave up before reading the requested records (its --timeout passed) */
  readonly timedOut: boolean;
}

/** Parses the ConsumerPerformance output (`--date-format` {@link CONSUMER_DATE_FORMAT}). */
export function parseConsumerPerformance(stdout: string): ConsumerPerfSummary | undefined {
  const timedOut = /WARNING: Exiting before consuming the expected number of messages/.test(stdout);
  for (const raw of stdout.split('\n')) {
    const fields = raw.trim().split(/,\s*/);
    if (fields.length !== 10) continue;
    const startMs = Date.parse(fields[0]!);
    const endMs = Date.parse(fields[1]!);
    const n = fields.slice(2).map(Number);
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || n.some((x) => !Number.isFinite(x)))
      continue;
    const [mib, , records, , rebalanceMs, fetchMs, fetchMib, fetchRate] = n as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return {
      startMs,
      endMs,
      mib,
      records,
      rebalanceMs,
      fetchMs,
      fetchMibPerSec: fetchMib,
      fetchRecordsPerSec: fetchRate,
      timedOut,
    };
  }
  return undefined;
}

/** CPU time of a process (user + system seconds) at a wall-clock time (epoch ms). */
export interface CpuSample {
  readonly t: number;
  readonly cpuSeconds: number;
}

/** CPU seconds at time `t`, interpolated between samples (sorted by time), clamped at the ends. */
export function cpuAt(samples: readonly CpuSample[], t: number): number | undefined {
  if (samples.length === 0) return undefined;
  if (t <= samples[0]!.t) return samples[0]!.cpuSeconds;
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i]!;
    if (t > b.t) continue;
    const a = samples[i - 1]!;
    const f = b.t === a.t ? 1 : (t - a.t) / (b.t - a.t);
    return a.cpuSeconds + f * (b.cpuSeconds - a.cpuSeconds);
  }
  return samples[samples.length - 1]!.cpuSeconds;
}

/** CPU seconds a process spent between two wall-clock times (epoch ms). */
export function cpuBetween(samples: readonly CpuSample[], t0: number, t1: number): number {
  const a = cpuAt(samples, t0);
  const b = cpuAt(samples, t1);
  return a === undefined || b === undefined ? 0 : Math.max(0, b - a);
}

/**
 * How many records the next ProducerPerformance run needs so that it lasts `targetMs`, from the
 * previous run's rate (with a margin, since the first run's rate includes its start), or
 * undefined when the previous run already lasted `enoughMs`.
 */
export function nextRecordCount(
  previous: { readonly records: number; readonly elapsedMs: number },
  targetMs: number,
  enoughMs: number,
  max = 50_000_000,
): number | undefined {
  if (previous.elapsedMs >= enoughMs) return undefined;
  const rate = previous.elapsedMs > 0 ? previous.records / previous.elapsedMs : 0;
  const wanted = Math.ceil(rate * targetMs * 1.3);
  return Math.min(max, Math.max(previous.records * 2, wanted));
}

export interface JavaRun {
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** CPU of the java process, sampled every 20 ms and whenever it printed */
  readonly samples: readonly CpuSample[];
  /** epoch ms at which each stdout line arrived (same order as the lines) */
  readonly lineTimes: readonly { line: string; t: number }[];
  readonly timedOut: boolean;
  /** the process could not be started (e.g. no `java`) */
  readonly spawnError: string | undefined;
}

/** JVM options: a heap like Kafka's perf-test scripts (-Xmx512M) and a fixed number format. */
const JVM_OPTIONS = ['-Xmx512m', '-Duser.language=en', '-Duser.country=US'];

/**
 * Runs one tool class on the kafka-tools classpath and samples the CPU time of its process from
 * /proc (the same source as the gateways' figures). The process is killed after `timeoutMs`.
 */
export function runJavaTool(
  java: string,
  libsDir: string,
  mainClass: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<JavaRun> {
  const argv = [...JVM_OPTIONS, '-cp', join(libsDir, '*'), mainClass, ...args];
  const command = `${java} ${argv.join(' ')}`;
  return new Promise((resolvePromise) => {
    const child = spawn(java, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const samples: CpuSample[] = [];
    const lineTimes: { line: string; t: number }[] = [];
    let stdout = '';
    let stderr = '';
    let partial = '';
    let timedOut = false;
    let spawnError: string | undefined;
    const sample = (): void => {
      if (child.pid === undefined) return;
      const s = sampleProcess(child.pid);
      if (s !== undefined) samples.push({ t: Date.now(), cpuSeconds: s.cpuSeconds });
    };
    sample();
    const sampler = setInterval(sample, 20);
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      // a sample right when a line arrives: the summary is printed just before the tool exits
      sample();
      const t = Date.now();
      stdout += chunk;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) lineTimes.push({ line, t });
    });
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (exitCode, signal) => {
      clearInterval(sampler);
      clearTimeout(killer);
      if (partial !== '') lineTimes.push({ line: partial, t: Date.now() });
      resolvePromise({
        command,
        exitCode,
        signal,
        stdout,
        stderr,
        samples,
        lineTimes,
        timedOut,
        spawnError,
      });
    });
  });
}

/** The first informative line of a failed run (stderr without SLF4J's notices, else stdout). */
export function failureReason(run: JavaRun): string {
  if (run.spawnError !== undefined) return `could not start java: ${run.spawnError}`;
  if (run.timedOut) return 'killed after its time limit';
  const line = [...run.stderr.split('\n'), ...run.stdout.split('\n')]
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('SLF4J'));
  const status = run.exitCode === null ? `signal ${run.signal}` : `exit ${run.exitCode}`;
  return `${status}${line === undefined ? '' : `: ${line.slice(0, 200)}`}`;
}
