#!/usr/bin/env node
// Runs one tier of compiled tests of the current workspace with node's test runner.
//   node run-node-tests.mjs <unit|integration|e2e> <dist dir>
// unit = *.spec.js, integration = *.int-spec.js, e2e = *.e2e-spec.js.
// Besides the human-readable spec output, a TAP copy goes to $TEST_RESULTS_DIR (default
// <repo>/.run/test-results) so scripts/test.sh can add up the totals of every suite.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync, statSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const [tier, dist] = process.argv.slice(2);
const suffix = { unit: '.spec.js', integration: '.int-spec.js', e2e: '.e2e-spec.js' }[tier ?? ''];
if (!suffix || !dist) {
  console.error('usage: run-node-tests.mjs <unit|integration|e2e> <dist dir>');
  process.exit(2);
}

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith(suffix) && !(tier === 'unit' && /\.(int|e2e)-spec\.js$/.test(name)))
      out.push(p);
  }
  return out;
}

const files = find(resolve(dist)).sort();
const pkg = JSON.parse(readFileSync('package.json', 'utf8')).name.replace(/^@.*\//, '');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const results = process.env.TEST_RESULTS_DIR ?? join(repo, '.run', 'test-results');
mkdirSync(results, { recursive: true });
if (files.length === 0) {
  console.log(`[${pkg}] no ${tier} tests`);
  writeFileSync(
    join(results, `${pkg}.${tier}.tap`),
    'TAP version 13\n1..0\n# tests 0\n# pass 0\n# fail 0\n',
  );
  process.exit(0);
}
const args = [
  '--enable-source-maps',
  '--test',
  '--test-concurrency=1',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${join(results, `${pkg}.${tier}.tap`)}`,
  ...files,
];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
