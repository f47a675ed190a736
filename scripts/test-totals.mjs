#!/usr/bin/env node
// Adds up the TAP summaries of every suite in a results directory and prints the closing line
// `N passed, N failed[, N skipped]`. Extra results (e.g. the compose check) are passed as
// `--extra passed|failed|skipped` arguments.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0,
  failed = 0,
  skipped = 0;
if (dir && existsSync(dir)) {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.tap'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    const num = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
    passed += num('pass');
    failed += num('fail') + num('cancelled');
    skipped += num('skipped') + num('todo');
  }
}
for (let i = 3; i < process.argv.length; i += 2) {
  if (process.argv[i] !== '--extra') continue;
  const kind = process.argv[i + 1];
  if (kind === 'passed') passed++;
  else if (kind === 'failed') failed++;
  else if (kind === 'skipped') skipped++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
