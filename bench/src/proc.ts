import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time and resident memory of other processes (the gateways) from /proc, so the figures
 * come from the kernel rather than from the process under test.
 */
let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      clockTicks = 100; // Linux's USER_HZ on every common architecture
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

export interface ProcSample {
  /** user + system CPU time so far, in seconds */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}

/** Start time of a process (field 22, clock ticks since boot): tells a reused pid apart. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Live child processes (e.g. the workers of a gateway pod with HTTP_WORKERS > 1). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(' ')
      .filter((p) => p !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * A process and its descendants, summed: a gateway started with HTTP_WORKERS=N counts the CPU
 * and memory of its workers, as a pod's cgroup would.
 */
export function sampleProcess(pid: number): ProcSample | undefined {
  const own = sampleOne(pid);
  if (own === undefined) return undefined;
  let { cpuSeconds, rssBytes } = own;
  for (const child of childPids(pid)) {
    const c = sampleProcess(child);
    if (c === undefined) continue;
    cpuSeconds += c.cpuSeconds;
    rssBytes += c.rssBytes;
  }
  return { cpuSeconds, rssBytes };
}

function sampleOne(pid: number): ProcSample | undefined {
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  // after the name: state is field 3, so utime (14) and stime (15) are at 11 and 12
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  let rssBytes = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (m !== null) rssBytes = Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
  return { cpuSeconds, rssBytes };
}

export interface ProcessFigures {
  readonly pid: number;
  /** CPU seconds spent during the measured window */
  readonly cpuSeconds: number;
  /** cpuSeconds / wall seconds × 100: 100 means one core fully busy */
  readonly cpuPercent: number;
  readonly rssStartMB: number;
  readonly rssPeakMB: number;
  readonly rssEndMB: number;
}

const MB = 1024 * 1024;

/** Samples named processes over a window: CPU delta and RSS start/peak/end. */
export class ProcessMonitor {
  private start: Map<string, ProcSample> = new Map();
  private peak = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(private readonly pids: ReadonlyMap<string, number>) {}

  begin(): void {
    this.startedAt = performance.now();
    this.start = new Map();
    this.peak = new Map();
    for (const [name, pid] of this.pids) {
      const s = sampleProcess(pid);
      if (s === undefined) continue;
      this.start.set(name, s);
      this.peak.set(name, s.rssBytes);
    }
    this.timer = setInterval(() => this.samplePeaks(), 200);
    this.timer.unref();
  }

  private samplePeaks(): void {
    for (const [name, pid] of this.pids) {
      const s = sampleProcess(pid);
      if (s !== undefined && s.rssBytes > (this.peak.get(name) ?? 0))
        this.peak.set(name, s.rssBytes);
    }
  }

  end(): Record<string, ProcessFigures> {
    clearInterval(this.timer);
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const out: Record<string, ProcessFigures> = {};
    for (const [name, pid] of this.pids) {
      const first = this.start.get(name);
      const last = sampleProcess(pid);
      if (first === undefined || last === undefined) continue;
      const cpuSeconds = last.cpuSeconds - first.cpuSeconds;
      out[name] = {
        pid,
        cpuSeconds,
        cpuPercent: wallSeconds > 0 ? (cpuSeconds / wallSeconds) * 100 : 0,
        rssStartMB: first.rssBytes / MB,
        rssPeakMB: Math.max(this.peak.get(name) ?? 0, last.rssBytes) / MB,
        rssEndMB: last.rssBytes / MB,
      };
    }
    return out;
  }
}

/** CPU seconds of this process (the load generator) between two calls. */
export function selfCpu(): () => number {
  const start = process.cpuUsage();
  return () => {
    const d = process.cpuUsage(start);
    return (d.user + d.system) / 1e6;
  };
}
