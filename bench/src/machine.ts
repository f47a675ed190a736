import { cpus, freemem, loadavg, release, totalmem } from 'node:os';

export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly freeRamGiB: number;
  readonly node: string;
  readonly kernel: string;
  readonly date: string;
  /** 1/5/15-minute load averages when the run started: anything near the core count means noise */
  readonly loadAverage: readonly number[];
}

export function describeMachine(): MachineDescription {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGiB: totalmem() / 1024 ** 3,
    freeRamGiB: freemem() / 1024 ** 3,
    node: process.version,
    kernel: release(),
    date: new Date().toISOString(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
