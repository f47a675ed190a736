// Prints the fault suite's results (one JSON line per scenario) as a table.
import { readFileSync } from 'node:fs';
const rows = readFileSync(process.argv[2], 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const head = [
  'scenario',
  'records acknowledged',
  'lost',
  'duplicated',
  'failed requests',
  'recovery time',
];
const cells = rows.map((r) =>
  [r.scenario, r.acknowledged, r.lost, r.duplicated, r.failedRequests, r.recovery].map(String),
);
const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => '| ' + c.map((v, i) => v.padEnd(width[i])).join(' | ') + ' |';
console.log(line(head));
console.log('|' + width.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const c of cells) console.log(line(c));
for (const r of rows) if (r.notes) console.log(`- ${r.scenario}: ${r.notes}`);
process.exit(rows.some((r) => r.lost > 0) ? 1 : 0);
