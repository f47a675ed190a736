#!/usr/bin/env node
// Prints, one per line, the TAP result files a test phase must have produced: every workspace
// whose `<script>` runs scripts/run-node-tests.mjs writes `<package dir name>.<tier>.tap`.
// scripts/test.sh counts a missing file as a failed check, so a suite that crashed before
// reporting (or was never run) can never be mistaken for a passing one.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = process.argv[2]; // test:unit | test:integration
const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const dirs = [];
for (const pattern of root.workspaces) {
  if (pattern.endsWith('/*')) {
    const base = join(repo, pattern.slice(0, -2));
    for (const d of readdirSync(base)) dirs.push(join(base, d));
  } else dirs.push(join(repo, pattern));
}
for (const dir of dirs) {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) continue;
  const cmd = JSON.parse(readFileSync(file, 'utf8')).scripts?.[script];
  const m = /run-node-tests\.mjs\s+(\S+)/.exec(cmd ?? '');
  if (m !== null) console.log(`${dir.split('/').pop()}.${m[1]}.tap`);
}
