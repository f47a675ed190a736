import type { CodecRow } from './codec';
import type { RowResult } from './context';
import type { MachineDescription } from './machine';
import type { BenchOptions } from './options';
import type { InstancesResult } from './workloads/instances';

export interface BenchReport {
  readonly tool: 'kafka-gateway-bench';
  readonly version: 1;
  readonly mode: BenchOptions['mode'];
  readonly label: string | undefined;
  readonly note: string | undefined;
  readonly machine: MachineDescription;
  /** load averages when the run ended */
  readonly loadAverageAtEnd: readonly number[];
  readonly settings: Readonly<Record<string, unknown>>;
  readonly rows: readonly RowResult[];
  readonly ratios: readonly PairRatio[];
  readonly instances: InstancesResult | { skipped: string } | undefined;
  readonly codec: readonly CodecRow[];
  readonly durationSeconds: number;
}

/** gateway ÷ direct for one pair: below 1 for throughput and above 1 for latency mean cost. */
export interface PairRatio {
  readonly pair: string;
  readonly recordsPerSec: number | undefined;
  readonly mbPerSec: number | undefined;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
}

function divide(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || b === 0 || a === 0) return undefined;
  return a / b;
}

export function pairRatios(rows: readonly RowResult[]): PairRatio[] {
  const out: PairRatio[] = [];
  for (const g of rows) {
    if (g.side !== 'gateway' || g.notAvailable !== undefined) continue;
    const d = rows.find((r) => r.pair === g.pair && r.side === 'direct');
    if (d === undefined) continue;
    out.push({
      pair: g.pair,
      recordsPerSec: divide(g.recordsPerSec, d.recordsPerSec),
      mbPerSec: divide(g.mbPerSec, d.mbPerSec),
      p50: divide(g.load?.latency?.p50, d.load?.latency?.p50),
      p99: divide(g.load?.latency?.p99, d.load?.latency?.p99),
    });
  }
  return out;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number | undefined, digits = 2): string =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
const ms = (n: number | undefined): string =>
  n === undefined ? '–' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);
const ratio = (n: number | undefined): string => (n === undefined ? '–' : `${n.toFixed(2)}×`);

function rowsTable(rows: readonly RowResult[], ratios: readonly PairRatio[]): string[] {
  const lines = [
    '| Workload | Side | How | ops | records/s | MB/s | p50 ms | p99 ms | p99.9 ms | errors | gateway CPU s (% of a core) | gateway RSS peak MB | client CPU s | gateway ÷ direct |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    if (r.notAvailable !== undefined) {
      lines.push(
        `| ${r.pair} | ${r.side} | ${r.method} | | **not available** | | | | | | | | | ${r.notAvailable.replace(/\|/g, '/')} |`,
      );
      continue;
    }
    const l = r.load?.latency;
    const p = r.servedBy === undefined ? undefined : r.processes[r.servedBy];
    const cpu = p === undefined ? '–' : `${p.cpuSeconds.toFixed(2)} (${Math.round(p.cpuPercent)}%)`;
    const rss = p === undefined ? '–' : p.rssPeakMB.toFixed(0);
    let rel = '';
    if (r.side === 'gateway') {
      const q = ratios.find((x) => x.pair === r.pair);
      rel =
        q === undefined
          ? '–'
          : `rec/s ${ratio(q.recordsPerSec)}` +
            (q.p50 === undefined ? '' : `, p50 ${ratio(q.p50)}`);
    } else rel = 'reference';
    const errors =
      r.load === undefined || r.load.errors === 0
        ? '0'
        : `${r.load.errors} (${(r.load.firstError ?? '').slice(0, 60).replace(/\|/g, '/')})`;
    lines.push(
      `| ${r.pair} | ${r.side} | ${r.method} | ${r.load === undefined || r.load.ops === 0 ? '–' : r.load.ops} | ${int(r.recordsPerSec)} | ${fixed(r.mbPerSec)} | ${ms(l?.p50)} | ${ms(l?.p99)} | ${ms(l?.p999)} | ${errors} | ${cpu} | ${rss} | ${r.clientCpuSeconds.toFixed(2)} | ${rel} |`,
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
    ['produce', 'Produce: HTTP v2 vs direct kafkajs'],
    ['consume', 'Consume: HTTP polling loop vs direct kafkajs consumer'],
    ['v3', 'Produce: HTTP v3 streaming (hook)'],
  ];
  for (const [section, title] of sections) {
    const rows = report.rows.filter((r) => r.section === section);
    if (rows.length === 0) continue;
    out.push(`## ${title}`, '', ...rowsTable(rows, report.ratios), '');
  }
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
