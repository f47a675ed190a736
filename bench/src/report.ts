import type { CodecRow } from './codec';
import type { RowResult } from './context';
import type { MachineDescription } from './machine';
import type { BenchOptions } from './options';
import { isGatewayProcess } from './stack';
import type { InstancesResult } from './workloads/instances';

export interface BenchReport {
  readonly tool: 'kafka-gateway-bench';
  /**
   * 2: Java-client rows (side `java`), CPU efficiency per row, ratios to the Java ceiling;
   * 3: `--sasl-ssl` twin rows (`saslSslTwinOf`) and `saslSslRatios`
   */
  readonly version: 3;
  readonly mode: BenchOptions['mode'];
  readonly label: string | undefined;
  readonly note: string | undefined;
  readonly machine: MachineDescription;
  /** load averages when the run ended */
  readonly loadAverageAtEnd: readonly number[];
  readonly settings: Readonly<Record<string, unknown>>;
  readonly rows: readonly (RowResult & { readonly cpu: CpuEfficiency | undefined })[];
  readonly ratios: readonly PairRatio[];
  /** `--sasl-ssl`: each SASL_SSL twin row ÷ its plaintext gateway row (empty without it) */
  readonly saslSslRatios: readonly SaslSslRatio[];
  readonly instances: InstancesResult | { skipped: string } | undefined;
  readonly codec: readonly CodecRow[];
  readonly durationSeconds: number;
}

/**
 * gateway ÷ direct for one pair: below 1 for throughput and above 1 for latency mean cost; and
 * the throughput of the gateway row (and of its kafkajs twin) ÷ the Java client's ceiling.
 */
export interface PairRatio {
  readonly pair: string;
  /** The gateway row's method: a pair may have several gateway rows (polling and SSE consume). */
  readonly method: string;
  readonly recordsPerSec: number | undefined;
  readonly mbPerSec: number | undefined;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  /** gateway ÷ the Java row matched by {@link javaCeilingFor} */
  readonly java: CeilingRatio | undefined;
  /** the kafkajs twin ÷ the same Java row */
  readonly directVsJava: CeilingRatio | undefined;
}

export interface CeilingRatio {
  /** the Java row's pair */
  readonly against: string;
  readonly recordsPerSec: number | undefined;
  readonly mbPerSec: number | undefined;
}

function divide(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || b === 0 || a === 0) return undefined;
  return a / b;
}

const usable = (r: RowResult): boolean => r.notAvailable === undefined && r.recordsPerSec > 0;

/**
 * The Java row a gateway or kafkajs row is compared with. Consume: the Java consumer of the same
 * pair (same topic, same records). Produce and v3: the Java producer of the same nominal record
 * size (`params.recordBytes`, 100 or 1024), whatever the format, records per request and
 * concurrency of the row: the Java client batches by itself (batch.size, linger.ms, several
 * requests in flight), so it is the ceiling of the broker and the client, not a twin.
 */
export function javaCeilingFor(rows: readonly RowResult[], row: RowResult): RowResult | undefined {
  const java = rows.filter((r) => r.side === 'java' && usable(r));
  if (row.section === 'consume')
    return java.find((r) => r.section === 'consume' && r.pair === row.pair);
  return java.find(
    (r) => r.section === 'produce' && r.params['recordBytes'] === row.params['recordBytes'],
  );
}

function ceiling(
  row: RowResult | undefined,
  java: RowResult | undefined,
): CeilingRatio | undefined {
  if (row === undefined || java === undefined || !usable(row)) return undefined;
  return {
    against: java.pair,
    recordsPerSec: divide(row.recordsPerSec, java.recordsPerSec),
    mbPerSec: divide(row.mbPerSec, java.mbPerSec),
  };
}

export function pairRatios(rows: readonly RowResult[]): PairRatio[] {
  const out: PairRatio[] = [];
  for (const g of rows) {
    if (g.side !== 'gateway' || g.notAvailable !== undefined) continue;
    const d = rows.find((r) => r.pair === g.pair && r.side === 'direct');
    const j = javaCeilingFor(rows, g);
    if (d === undefined && j === undefined) continue;
    out.push({
      pair: g.pair,
      method: g.method,
      recordsPerSec: divide(g.recordsPerSec, d?.recordsPerSec),
      mbPerSec: divide(g.mbPerSec, d?.mbPerSec),
      p50: divide(g.load?.latency?.p50, d?.load?.latency?.p50),
      p99: divide(g.load?.latency?.p99, d?.load?.latency?.p99),
      java: ceiling(g, j),
      directVsJava: ceiling(d, j),
    });
  }
  return out;
}

/** The SASL_SSL twin of a plaintext gateway row ÷ that row: below 1 for records/s = cost of TLS+SCRAM. */
export interface SaslSslRatio {
  /** the plaintext gateway row's pair */
  readonly pair: string;
  /** the SASL_SSL twin's pair */
  readonly saslSslPair: string;
  readonly plaintext: RowFigures;
  readonly saslSsl: RowFigures;
  readonly recordsPerSec: number | undefined;
  readonly mbPerSec: number | undefined;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
}

export interface RowFigures {
  readonly recordsPerSec: number;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
}

const figuresOf = (r: RowResult): RowFigures => ({
  recordsPerSec: r.recordsPerSec,
  p50: r.load?.latency?.p50,
  p99: r.load?.latency?.p99,
});

/** One entry per SASL_SSL twin row whose plaintext gateway row and itself both ran. */
export function saslSslRatios(rows: readonly RowResult[]): SaslSslRatio[] {
  const out: SaslSslRatio[] = [];
  for (const s of rows) {
    if (s.saslSslTwinOf === undefined || !usable(s)) continue;
    const p = rows.find(
      (r) =>
        r.pair === s.saslSslTwinOf &&
        r.side === 'gateway' &&
        r.saslSslTwinOf === undefined &&
        usable(r),
    );
    if (p === undefined) continue;
    out.push({
      pair: p.pair,
      saslSslPair: s.pair,
      plaintext: figuresOf(p),
      saslSsl: figuresOf(s),
      recordsPerSec: divide(s.recordsPerSec, p.recordsPerSec),
      mbPerSec: divide(s.mbPerSec, p.mbPerSec),
      p50: divide(s.load?.latency?.p50, p.load?.latency?.p50),
      p99: divide(s.load?.latency?.p99, p.load?.latency?.p99),
    });
  }
  return out;
}

/**
 * CPU cost of a row's records. Gateway rows: the user+system CPU of every gateway process of the
 * stack (producer-gateway and consumer-gateway, all replicas; not nginx) during the window.
 * kafkajs and Java rows: the CPU of the measuring process itself (the bench process or the JVM).
 */
export interface CpuEfficiency {
  readonly of: 'gateway processes' | 'measuring process';
  readonly cpuSeconds: number;
  /** the processes added up (gateway rows) */
  readonly processes?: readonly string[];
  readonly perHundredThousandRecords: number | undefined;
  /** gateway rows only: per 10,000 HTTP requests (POST or GET …/records) */
  readonly perTenThousandRequests: number | undefined;
}

export function cpuEfficiency(row: RowResult): CpuEfficiency | undefined {
  if (row.notAvailable !== undefined || row.load === undefined) return undefined;
  const { records, ops } = row.load;
  const per = (cpu: number, n: number, unit: number): number | undefined =>
    n > 0 ? (cpu / n) * unit : undefined;
  if (row.side === 'gateway') {
    const names = Object.keys(row.processes).filter((n) => isGatewayProcess(n));
    if (names.length === 0) return undefined;
    const cpuSeconds = names.reduce((sum, n) => sum + row.processes[n]!.cpuSeconds, 0);
    return {
      of: 'gateway processes',
      cpuSeconds,
      processes: names,
      perHundredThousandRecords: per(cpuSeconds, records, 100_000),
      perTenThousandRequests: per(cpuSeconds, ops, 10_000),
    };
  }
  return {
    of: 'measuring process',
    cpuSeconds: row.clientCpuSeconds,
    perHundredThousandRecords: per(row.clientCpuSeconds, records, 100_000),
    perTenThousandRequests: undefined,
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number | undefined, digits = 2): string =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
const ms = (n: number | undefined): string =>
  n === undefined ? '–' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);
const ratio = (n: number | undefined): string => (n === undefined ? '–' : `${n.toFixed(2)}×`);

const cpuCost = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '–' : n < 0.1 ? n.toFixed(3) : n.toFixed(2);

function rowsTable(
  rows: readonly RowResult[],
  ratios: readonly PairRatio[],
  sasl: readonly SaslSslRatio[],
): string[] {
  const lines = [
    '| Workload | Side | How | ops | records/s | MB/s | p50 ms | p99 ms | p99.9 ms | errors | gateway CPU s (% of a core) | gateway RSS peak MB | client CPU s | CPU s / 100k records | gateway CPU s / 10k requests | gateway ÷ direct | gateway ÷ Java ceiling |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const r of rows) {
    if (r.notAvailable !== undefined) {
      lines.push(
        `| ${r.pair} | ${r.side} | ${r.method} | | **not available** | | | | | | | | | | | ${r.notAvailable.replace(/\|/g, '/')} | |`,
      );
      continue;
    }
    const l = r.load?.latency;
    const p = r.servedBy === undefined ? undefined : r.processes[r.servedBy];
    const cpu = p === undefined ? '–' : `${p.cpuSeconds.toFixed(2)} (${Math.round(p.cpuPercent)}%)`;
    const rss = p === undefined ? '–' : p.rssPeakMB.toFixed(0);
    let rel = '';
    let ceilingCell = '';
    const q =
      ratios.find((x) => x.pair === r.pair && x.method === r.method) ??
      ratios.find((x) => x.pair === r.pair);
    const t =
      r.saslSslTwinOf === undefined ? undefined : sasl.find((x) => x.saslSslPair === r.pair);
    if (r.saslSslTwinOf !== undefined) {
      rel =
        t?.recordsPerSec === undefined
          ? '–'
          : `SASL_SSL ÷ plaintext: rec/s ${ratio(t.recordsPerSec)}` +
            (t.p50 === undefined ? '' : `, p50 ${ratio(t.p50)}`);
      ceilingCell = q?.java === undefined ? '–' : `rec/s ${ratio(q.java.recordsPerSec)}`;
    } else if (r.side === 'gateway') {
      rel =
        q?.recordsPerSec === undefined
          ? '–'
          : `rec/s ${ratio(q.recordsPerSec)}` +
            (q.p50 === undefined ? '' : `, p50 ${ratio(q.p50)}`);
      ceilingCell = q?.java === undefined ? '–' : `rec/s ${ratio(q.java.recordsPerSec)}`;
    } else if (r.side === 'direct') {
      rel = 'reference';
      ceilingCell =
        q?.directVsJava === undefined ? '–' : `(kafkajs ${ratio(q.directVsJava.recordsPerSec)})`;
    } else {
      rel = '–';
      ceilingCell = 'ceiling';
    }
    const eff = cpuEfficiency(r);
    const errors =
      r.load === undefined || r.load.errors === 0
        ? '0'
        : `${r.load.errors} (${(r.load.firstError ?? '').slice(0, 60).replace(/\|/g, '/')})`;
    lines.push(
      `| ${r.pair} | ${r.side} | ${r.method} | ${r.load === undefined || r.load.ops === 0 ? '–' : r.load.ops} | ${int(r.recordsPerSec)} | ${fixed(r.mbPerSec)} | ${ms(l?.p50)} | ${ms(l?.p99)} | ${ms(l?.p999)} | ${errors} | ${cpu} | ${rss} | ${r.clientCpuSeconds.toFixed(2)} | ${cpuCost(eff?.perHundredThousandRecords)} | ${cpuCost(eff?.perTenThousandRequests)} | ${rel} | ${ceilingCell} |`,
    );
  }
  return lines;
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [];
  const kind =
    report.rows.length === 0 && report.instances === undefined ? 'codec only' : report.mode;
  out.push(`# Gateway benchmark (${kind}${report.label ? `, ${report.label}` : ''})`, '');
  if (report.note !== undefined) out.push(`> ${report.note}`, '');
  out.push(
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB.toFixed(1)} GiB RAM (${m.freeRamGiB.toFixed(1)} GiB free), Linux ${m.kernel}`,
    `- Node ${m.node}; run started ${m.date}; took ${report.durationSeconds.toFixed(0)} s`,
    `- Load average (1/5/15 min) at start ${m.loadAverage.join(' / ')}, at end ${report.loadAverageAtEnd.join(' / ')}` +
      (m.loadAverage[0]! > m.cores * 0.5
        ? ' — **the machine was busy: treat every figure as noisy**'
        : ''),
    `- Settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ')}`,
    '- Everything (Kafka, registry, gateways, nginx, this load generator) shares the same cores; a ratio is meaningful only within one run.',
    '',
  );
  const sections: [RowResult['section'], string][] = [
    ['produce', 'Produce: HTTP v2 vs direct kafkajs, and the Java client ceiling'],
    ['consume', 'Consume: HTTP polling loop vs direct kafkajs consumer and the Java consumer'],
    ['v3', 'Produce: HTTP v3 streaming (hook)'],
  ];
  for (const [section, title] of sections) {
    const rows = report.rows.filter((r) => r.section === section);
    if (rows.length === 0) continue;
    out.push(`## ${title}`, '', ...rowsTable(rows, report.ratios, report.saslSslRatios), '');
  }
  if (report.saslSslRatios.length > 0) {
    out.push(
      '## Produce: SASL_SSL (SCRAM-SHA-512 over TLS) ÷ plaintext, same gateway build',
      '',
      '| Workload | plaintext records/s | SASL_SSL records/s | SASL_SSL ÷ plaintext records/s | plaintext p50 ms | SASL_SSL p50 ms | p50 ratio | plaintext p99 ms | SASL_SSL p99 ms | p99 ratio |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const x of report.saslSslRatios)
      out.push(
        `| ${x.pair} | ${int(x.plaintext.recordsPerSec)} | ${int(x.saslSsl.recordsPerSec)} | ${ratio(x.recordsPerSec)} | ${ms(x.plaintext.p50)} | ${ms(x.saslSsl.p50)} | ${ratio(x.p50)} | ${ms(x.plaintext.p99)} | ${ms(x.saslSsl.p99)} | ${ratio(x.p99)} |`,
      );
    out.push(
      '',
      "Each SASL_SSL row runs through an extra producer gateway the bench starts on the SASL_SSL listener (`--sasl-ssl`), right after its plaintext pair, on its own fresh topic; its CPU and RSS are that process's. The plaintext row always runs first, so on a busy machine read the ratios across rows rather than one alone. Below 1 for records/s (above 1 for latency) = the cost of TLS + SCRAM between the gateway and Kafka.",
      '',
    );
  }
  if (report.rows.some((r) => r.side !== 'gateway'))
    out.push(
      '**CPU s / 100k records**: on a gateway line, the CPU of every gateway process (producer and consumer gateways, all replicas, and with `--sasl-ssl` the SASL_SSL producer gateway) during the window; on a direct or Java line, the CPU of the measuring process itself (this bench process, or the JVM). ' +
        '**gateway ÷ Java ceiling**: records/s of the line ÷ records/s of the Java line of the same record size (produce, v3) or of the same topic (consume); on a direct line, the same ratio for kafkajs.',
      '',
    );
  const inst = report.instances;
  if (inst !== undefined) {
    out.push('## Memory per idle consumer instance (consumer-gateway RSS)', '');
    if ('skipped' in inst) out.push(`Skipped: ${inst.skipped}`, '');
    else {
      out.push(
        '| requested | created | RSS before MB | RSS with instances MB | RSS after delete MB | RSS per instance KB | V8 heap per instance KB | create p50 ms | create p99 ms | deleted |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        `| ${inst.requested} | ${inst.created} | ${inst.rssBeforeMB.toFixed(1)} | ${inst.rssWithInstancesMB.toFixed(1)} | ${inst.rssAfterDeleteMB.toFixed(1)} | ${inst.perInstanceKB.toFixed(1)} | ${fixed(inst.heapPerInstanceKB, 1)} | ${ms(inst.createLatency?.p50)} | ${ms(inst.createLatency?.p99)} | ${inst.deleted} |`,
        '',
      );
      if (inst.stoppedBecause !== undefined)
        out.push(`Creation stopped early: ${inst.stoppedBecause}`, '');
    }
  }
  if (report.codec.length > 0) {
    out.push(
      '## Codec micro-benchmark (packages/codec serde, in-memory registry, one core)',
      '',
      '| format | operation | record bytes | records/s | MB/s | ns/record |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    );
    for (const c of report.codec) {
      out.push(
        `| ${c.format} | ${c.operation} | ${c.recordBytes} | ${int(c.recordsPerSec)} | ${fixed(c.mbPerSec, 1)} | ${int(c.nsPerRecord)} |`,
      );
    }
    out.push(
      '',
      'encode = JSON envelope value → Kafka bytes (producer side); decode = Kafka bytes → JSON envelope value (consumer side).',
      '',
    );
  }
  return out.join('\n');
}
