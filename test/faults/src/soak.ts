import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  compare,
  env,
  FORMATS,
  ProduceLoad,
  readBack,
  report,
  sleep,
  topicsPerFormat,
  uid,
  type Format,
  type RequestOutcome,
} from './harness';
import { RestConsumerLoop } from './rest-consumer';

/**
 * Soak: mixed load through the entry point of a 2+2-replica stack for N minutes (produce in
 * every format, REST consumers polling and committing, consumer instance create/delete churn;
 * nginx round-robin forwards about half of the instance requests), a sample of every gateway
 * process each minute (RSS, heap, fds, event-loop p99), then a verdict: RSS growth after
 * warm-up < 10 %, no fd growth, 0 5xx, every acknowledged record in Kafka once and seen by a
 * REST consumer. Exit 1 when the verdict fails.
 *   node dist/soak.js --minutes 30   (npm run soak -- --minutes 30)
 */
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const MINUTES = Number(arg('minutes', process.env['SOAK_MINUTES'] ?? '30'));
const SAMPLE_MS = Number(process.env['SOAK_SAMPLE_MS'] ?? '60000');
/** Produce: 2 connections per format, 5 records a request, a pause between requests. */
const CONNECTIONS = Number(process.env['SOAK_CONNECTIONS'] ?? '10');
const PAUSE_MS = Number(process.env['SOAK_PAUSE_MS'] ?? '200');
const RSS_GROWTH_LIMIT = 0.1;
const FD_SLACK = 5;
const RESULTS_DIR = resolve(
  process.env['SOAK_RESULTS_DIR'] ??
    join(
      env.runDir,
      '..',
      'soak-results',
      new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19),
    ),
);

interface ProcSample {
  rssMiB: number;
  heapUsedMiB: number | null;
  fds: number;
  promFds: number | null;
  loopP99Ms: number | null;
}
interface Minute {
  minute: number;
  at: string;
  procs: Record<string, ProcSample>;
  requests: number;
  errorsByStatus: Record<string, number>;
  produced: number;
  consumed: number;
  churn: number;
}

// ------------------------------------------------------------------------------------------
// gateway processes: pid files of the stack's run dir, metrics URLs from stack.env

interface Gateway {
  name: string;
  pid: number;
  metricsUrl: string;
}

function isNode(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node';
  } catch {
    return false;
  }
}

/** The node process of a component: the pid file's process or its first node descendant. */
function nodePid(pid: number): number {
  if (isNode(pid)) return pid;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const task of readdirSync(`/proc/${p}/task`)) {
      const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
      for (const c of children) {
        if (isNode(c)) return c;
        queue.push(c);
      }
    }
  }
  return pid;
}

function gateways(): Gateway[] {
  const dir = join(env.runDir, 'pids');
  const out: Gateway[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = /^(producer|consumer)-gateway(?:-(\d+))?\.pid$/.exec(f);
    if (!m) continue;
    const urls = m[1] === 'producer' ? env.producerMetricsUrls : env.consumerMetricsUrls;
    const url = urls[Number(m[2] ?? '1') - 1];
    if (url === undefined) continue;
    const pid = Number(readFileSync(join(dir, f), 'utf8').trim().split(/\s+/)[0]);
    out.push({ name: f.replace(/\.pid$/, ''), pid: nodePid(pid), metricsUrl: url });
  }
  if (out.length === 0) throw new Error(`no gateway pid files in ${dir}`);
  return out;
}

function metric(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

async function sample(g: Gateway): Promise<ProcSample> {
  const status = readFileSync(`/proc/${g.pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 'NaN');
  const fds = readdirSync(`/proc/${g.pid}/fd`).length;
  let text = '';
  try {
    const res = await fetch(`${g.metricsUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    text = await res.text();
  } catch {
    text = '';
  }
  const heap = metric(text, 'nodejs_heap_size_used_bytes');
  const p99 = metric(text, 'nodejs_eventloop_lag_p99_seconds');
  return {
    rssMiB: round(rssKiB / 1024),
    heapUsedMiB: heap === null ? null : round(heap / 2 ** 20),
    fds,
    promFds: metric(text, 'process_open_fds'),
    loopP99Ms: p99 === null ? null : round(p99 * 1000),
  };
}

const round = (n: number): number => Math.round(n * 10) / 10;

// ------------------------------------------------------------------------------------------
// instance churn: create, subscribe, one poll, delete; every status counted

const V2 = 'application/vnd.kafka.v2+json';

class Churn {
  readonly statuses: number[] = [];
  cycles = 0;
  private running = true;
  private loop: Promise<void> | undefined;
  constructor(private readonly topic: string) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async call(url: string, init: RequestInit): Promise<Response | undefined> {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      this.statuses.push(res.status);
      return res;
    } catch {
      this.statuses.push(0);
      return undefined;
    }
  }

  private async run(): Promise<void> {
    const group = uid('soak-churn');
    while (this.running) {
      const name = uid('c');
      const base = `${env.gatewayUrl}/consumers/${group}/instances/${name}`;
      const created = await this.call(`${env.gatewayUrl}/consumers/${group}`, {
        method: 'POST',
        headers: { 'content-type': V2 },
        body: JSON.stringify({ name, format: 'binary', 'auto.offset.reset': 'latest' }),
      });
      if (created?.status === 200) {
        await this.call(`${base}/subscription`, {
          method: 'POST',
          headers: { 'content-type': V2 },
          body: JSON.stringify({ topics: [this.topic] }),
        });
        await this.call(`${base}/records?timeout=200`, {
          headers: { accept: 'application/vnd.kafka.binary.v2+json' },
        });
        await this.call(base, { method: 'DELETE', headers: { 'content-type': V2 } });
      }
      this.cycles++;
      await sleep(1000);
    }
  }
}

// ------------------------------------------------------------------------------------------

function statusesSince(
  outcomes: readonly RequestOutcome[],
  from: number,
  churn: readonly number[],
  churnFrom: number,
  consumerFailures: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (s: string): void => {
    out[s] = (out[s] ?? 0) + 1;
  };
  for (let i = from; i < outcomes.length; i++) {
    const o = outcomes[i]!;
    if (o.status !== 200) add(String(o.status));
    else if (o.failedRecords > 0) add(`200/record-error`);
  }
  for (let i = churnFrom; i < churn.length; i++) {
    const s = churn[i]!;
    if (s < 200 || s >= 300) add(String(s));
  }
  for (const f of consumerFailures) add(/^(?:GET records|commit) (\d{3})/.exec(f)?.[1] ?? '0');
  return out;
}

async function main(): Promise<void> {
  const started = new Date();
  console.log(
    `[soak] ${MINUTES} min, ${CONNECTIONS} produce connections (pause ${PAUSE_MS} ms), results in ${RESULTS_DIR}`,
  );
  const procs = gateways();
  console.log(`[soak] gateways: ${procs.map((g) => `${g.name} pid ${g.pid}`).join(', ')}`);
  const topics = await topicsPerFormat('soak', 3);
  const baseline: Record<string, ProcSample> = {};
  for (const g of procs) baseline[g.name] = await sample(g);

  const consumers: Record<Format, RestConsumerLoop> = {} as Record<Format, RestConsumerLoop>;
  for (const f of FORMATS) consumers[f] = await new RestConsumerLoop(topics[f]).start();
  const churn = new Churn(topics.binary).start();
  const load = new ProduceLoad(topics, {
    connections: CONNECTIONS,
    batch: 5,
    pauseMs: PAUSE_MS,
  }).start();

  const minutes: Minute[] = [];
  let outcomeIdx = 0;
  let churnIdx = 0;
  const failIdx: Record<string, number> = {};
  let producedBefore = 0;
  let consumedBefore = 0;
  const consumedTotal = (): number =>
    FORMATS.reduce((n, f) => n + [...consumers[f].seen.values()].reduce((a, b) => a + b, 0), 0);
  const t0 = Date.now();
  for (let m = 1; m <= MINUTES; m++) {
    await sleep(Math.max(0, t0 + m * SAMPLE_MS - Date.now()));
    const failures: string[] = [];
    for (const f of FORMATS) {
      failures.push(...consumers[f].failed.slice(failIdx[f] ?? 0));
      failIdx[f] = consumers[f].failed.length;
    }
    const outcomes = load.stats.outcomes;
    const outcomesNow = outcomes.length;
    const churnNow = churn.statuses.length;
    const row: Minute = {
      minute: m,
      at: new Date().toISOString(),
      procs: {},
      requests: outcomesNow - outcomeIdx + (churnNow - churnIdx),
      errorsByStatus: statusesSince(outcomes, outcomeIdx, churn.statuses, churnIdx, failures),
      produced: load.stats.acked.size - producedBefore,
      consumed: consumedTotal() - consumedBefore,
      churn: churn.cycles,
    };
    outcomeIdx = outcomesNow;
    churnIdx = churnNow;
    producedBefore = load.stats.acked.size;
    consumedBefore += row.consumed;
    for (const g of procs) row.procs[g.name] = await sample(g);
    minutes.push(row);
    // every sample on disk as it comes: a run that dies later still leaves its figures
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, 'soak-progress.json'), JSON.stringify(minutes) + '\n');
    console.log(
      `[soak] min ${m}: ${procs
        .map((g) => {
          const s = row.procs[g.name]!;
          return `${g.name} rss ${s.rssMiB} MiB heap ${s.heapUsedMiB} MiB fds ${s.fds} p99 ${s.loopP99Ms} ms`;
        })
        .join(
          '; ',
        )}; produced ${row.produced}, consumed ${row.consumed}, errors ${JSON.stringify(row.errorsByStatus)}`,
    );
  }

  const stats = await load.stop();
  await churn.stop();
  // the REST consumers catch up with everything acknowledged (up to 90 s), then stop
  const ackedByFormat = new Map<Format, string[]>();
  for (const id of stats.acked) {
    const w = Number(id.split('-')[1]);
    const f = FORMATS[w % FORMATS.length]!;
    const list = ackedByFormat.get(f) ?? [];
    list.push(id); // not a spread: that copy made the 30-minute run's end quadratic (366k ids)
    ackedByFormat.set(f, list);
  }
  const missingRest = (): number =>
    FORMATS.reduce(
      (n, f) => n + (ackedByFormat.get(f) ?? []).filter((id) => !consumers[f].seen.has(id)).length,
      0,
    );
  const catchUp = Date.now();
  while (missingRest() > 0 && Date.now() - catchUp < 90_000) await sleep(1000);
  for (const f of FORMATS) await consumers[f].stop();
  const notSeenByRest = missingRest();

  let readBackError = '';
  const found = await readBack(Object.values(topics)).catch((err: unknown) => {
    readBackError = String(err);
    return new Map<string, number>();
  });
  const verdict = compare(stats.acked, found);

  // ---- verdict
  const warm = Math.max(1, Math.ceil(MINUTES * 0.2));
  // RSS moves with the collector by tens of MiB from one minute to the next: the median of up to
  // 3 samples right after the warm-up against the median of the last ones (as many), not one each
  const k = Math.max(1, Math.min(3, Math.floor((minutes.length - warm) / 2)));
  const warmRows = minutes.slice(
    Math.min(warm, minutes.length - 1),
    Math.min(warm, minutes.length - 1) + k,
  );
  const lastRows = minutes.slice(-k);
  const median = (rows: Minute[], name: string, pick: (s: ProcSample) => number): number => {
    const v = rows.map((r) => pick(r.procs[name]!)).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)]!;
  };
  const last = minutes[minutes.length - 1]!;
  const perProc = procs.map((g) => {
    const w: ProcSample = {
      ...warmRows[warmRows.length - 1]!.procs[g.name]!,
      rssMiB: median(warmRows, g.name, (p) => p.rssMiB),
    };
    const l: ProcSample = {
      ...last.procs[g.name]!,
      rssMiB: median(lastRows, g.name, (p) => p.rssMiB),
    };
    const p99s = minutes.map((m) => m.procs[g.name]!.loopP99Ms ?? 0);
    return {
      name: g.name,
      rssStartMiB: baseline[g.name]!.rssMiB,
      rssWarmMiB: w.rssMiB,
      rssLastMiB: l.rssMiB,
      rssMaxMiB: Math.max(...minutes.map((m) => m.procs[g.name]!.rssMiB)),
      rssGrowthPct: round(((l.rssMiB - w.rssMiB) / w.rssMiB) * 100),
      heapWarmMiB: w.heapUsedMiB,
      heapLastMiB: l.heapUsedMiB,
      fdsWarm: w.fds,
      fdsLast: l.fds,
      fdsMax: Math.max(...minutes.map((m) => m.procs[g.name]!.fds)),
      loopP99MaxMs: Math.max(...p99s),
      loopP99MedianMs: [...p99s].sort((a, b) => a - b)[Math.floor(p99s.length / 2)]!,
    };
  });
  const errors: Record<string, number> = {};
  for (const m of minutes)
    for (const [s, n] of Object.entries(m.errorsByStatus)) errors[s] = (errors[s] ?? 0) + n;
  const fiveXx = Object.entries(errors)
    .filter(([s]) => /^5\d\d$/.test(s))
    .reduce((n, [, c]) => n + c, 0);
  const checks = [
    ...perProc.map((p) => ({
      check: `${p.name} RSS growth after warm-up < 10 %`,
      ok: p.rssGrowthPct < RSS_GROWTH_LIMIT * 100,
      value: `${p.rssGrowthPct} % (${p.rssWarmMiB} -> ${p.rssLastMiB} MiB)`,
    })),
    ...perProc.map((p) => ({
      check: `${p.name} fds last <= warm-up + ${FD_SLACK}`,
      ok: p.fdsLast <= p.fdsWarm + FD_SLACK,
      value: `${p.fdsWarm} -> ${p.fdsLast}`,
    })),
    { check: '0 5xx', ok: fiveXx === 0, value: String(fiveXx) },
    { check: 'records acknowledged > 0', ok: verdict.acked > 0, value: String(verdict.acked) },
    {
      check: 'lost 0 (kafkajs read-back)',
      ok: verdict.lost === 0 && readBackError === '',
      value: readBackError === '' ? String(verdict.lost) : readBackError,
    },
    {
      check: 'duplicated produce 0',
      ok: verdict.duplicated === 0,
      value: String(verdict.duplicated),
    },
    {
      check: 'every acknowledged record seen by a REST consumer',
      ok: notSeenByRest === 0,
      value: `${notSeenByRest} not seen`,
    },
  ];
  const pass = checks.every((c) => c.ok);
  const summary = {
    started: started.toISOString(),
    minutes: MINUTES,
    warmUpMinutes: warm,
    rssWindowSamples: k,
    load: {
      produceConnections: CONNECTIONS,
      pauseMs: PAUSE_MS,
      produceRequests: stats.outcomes.length,
      churnCycles: churn.cycles,
    },
    acknowledged: verdict.acked,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    restConsumed: consumedTotal(),
    restRecreated: FORMATS.reduce((n, f) => n + consumers[f].recreated, 0),
    notSeenByRest,
    errors,
    perProcess: perProc,
    checks,
    pass,
    perMinute: minutes,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'soak.json'), JSON.stringify(summary, null, 2) + '\n');
  const md = markdown(summary, procs);
  writeFileSync(join(RESULTS_DIR, 'soak.md'), md);
  console.log(md);
  report({
    scenario: `soak ${MINUTES} min (mixed load, 2+2 replicas)`,
    acknowledged: verdict.acked,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    failedRequests: Object.values(errors).reduce((a, b) => a + b, 0),
    recovery: pass ? 'verdict pass' : 'verdict FAIL',
    notes: `RSS growth ${perProc.map((p) => `${p.name} ${p.rssGrowthPct} %`).join(', ')}; fds ${perProc.map((p) => `${p.fdsWarm}->${p.fdsLast}`).join(', ')}; 5xx ${fiveXx}; ${RESULTS_DIR}`,
  });
  process.exitCode = pass ? 0 : 1;
}

function markdown(
  s: {
    started: string;
    minutes: number;
    warmUpMinutes: number;
    rssWindowSamples: number;
    acknowledged: number;
    restConsumed: number;
    errors: Record<string, number>;
    perProcess: Record<string, unknown>[];
    checks: { check: string; ok: boolean; value: string }[];
    pass: boolean;
    perMinute: Minute[];
  },
  procs: Gateway[],
): string {
  const lines: string[] = [];
  lines.push(
    `# Soak ${s.started}, ${s.minutes} min (warm-up ${s.warmUpMinutes} min; RSS growth: median of ${s.rssWindowSamples} sample(s) right after the warm-up against the last ${s.rssWindowSamples})`,
    '',
  );
  lines.push(
    '| min | ' +
      procs.map((g) => `${g.name} RSS/heap MiB, fds, p99 ms`).join(' | ') +
      ' | produced | consumed | errors |',
  );
  lines.push('|' + '---|'.repeat(procs.length + 4));
  for (const m of s.perMinute) {
    lines.push(
      `| ${m.minute} | ` +
        procs
          .map((g) => {
            const p = m.procs[g.name]!;
            return `${p.rssMiB}/${p.heapUsedMiB}, ${p.fds}, ${p.loopP99Ms}`;
          })
          .join(' | ') +
        ` | ${m.produced} | ${m.consumed} | ${JSON.stringify(m.errorsByStatus)} |`,
    );
  }
  lines.push(
    '',
    '| process | RSS warm -> last (max) MiB | growth | fds warm -> last (max) | loop p99 median/max ms |',
    '|---|---|---|---|---|',
  );
  for (const p of s.perProcess)
    lines.push(
      `| ${String(p['name'])} | ${String(p['rssWarmMiB'])} -> ${String(p['rssLastMiB'])} (${String(p['rssMaxMiB'])}) | ${String(p['rssGrowthPct'])} % | ${String(p['fdsWarm'])} -> ${String(p['fdsLast'])} (${String(p['fdsMax'])}) | ${String(p['loopP99MedianMs'])}/${String(p['loopP99MaxMs'])} |`,
    );
  lines.push(
    '',
    `acknowledged ${s.acknowledged}, REST-consumed ${s.restConsumed}, errors ${JSON.stringify(s.errors)}`,
    '',
  );
  lines.push('| check | value | ok |', '|---|---|---|');
  for (const c of s.checks) lines.push(`| ${c.check} | ${c.value} | ${c.ok ? 'yes' : 'NO'} |`);
  lines.push('', `verdict: ${s.pass ? 'PASS' : 'FAIL'}`, '');
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
