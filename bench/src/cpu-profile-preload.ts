import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * CPU profile of a gateway process, loaded with `NODE_OPTIONS=--require <this file>` (node 20
 * refuses `--cpu-prof` in NODE_OPTIONS, and the stack starts the gateways itself). Active only
 * when BENCH_CPU_PROF_DIR is set and the process is one of the gateways, so other node processes
 * started with the same environment (the stack's readiness checks) are left alone. The profile
 * covers the process's whole life and is written when it exits (e.g. `infra/stack down`), as
 * `<app>-<start time>-<pid>.cpuprofile`: open it in Chrome DevTools (Performance) or speedscope.
 * BENCH_CPU_PROF_DELAY_MS (optional) starts the profiler that long after the process starts, so
 * a profile of a short row is not dominated by module loading and Nest's start-up.
 */
const dir = process.env['BENCH_CPU_PROF_DIR'];
const app = /apps\/([^/]+)\/dist\/main\.js$/.exec(process.argv[1] ?? '')?.[1];

if (dir !== undefined && dir !== '' && app !== undefined) {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  const delayMs = Number(process.env['BENCH_CPU_PROF_DELAY_MS'] ?? '0');
  let started = false;
  const start = (): void => {
    session.post('Profiler.start');
    started = true;
  };
  if (Number.isFinite(delayMs) && delayMs > 0) setTimeout(start, delayMs).unref();
  else start();
  // an in-process inspector session answers synchronously, so this works inside 'exit'
  process.on('exit', () => {
    if (!started) return;
    session.post('Profiler.stop', (err, result) => {
      if (err !== null) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, `${app}-${stamp}-${process.pid}.cpuprofile`),
        JSON.stringify(result.profile),
      );
    });
  });
}
