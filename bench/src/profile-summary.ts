import { readFileSync } from 'node:fs';

/**
 * Summarizes a V8 `.cpuprofile` (from `--cpu-prof` runs): self time per function and per
 * package, so the note can say where a gateway's CPU went during one benchmark row.
 *
 *   node bench/dist/profile-summary.js <file.cpuprofile> [top=25]
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/**
 * Cost categories of the gateway's request path, by the nearest frame (leaf first) that belongs
 * to one: node internals and V8 builtins count for the library or module that called them.
 */
const CATEGORIES: readonly (readonly [string, RegExp])[] = [
  ['logging (pino, request log)', /node_modules\/pino|server-kit\/dist\/logging|request-log/],
  ['metrics (prom-client, metrics)', /node_modules\/prom-client|server-kit\/dist\/metrics/],
  ['body parsing', /node_modules\/(body-parser|raw-body|iconv-lite)|http\/json-body|exact-json/],
  ['auth, authz, quota', /server-kit\/dist\/(auth|authz|quota)\//],
  ['tracing', /server-kit\/dist\/tracing|@opentelemetry/],
  ['codec', /packages\/codec\/|node_modules\/(avsc|ajv|protobufjs)/],
  ['kafkajs', /node_modules\/kafkajs/],
  ['nest (routing, guards, interceptors, rxjs)', /node_modules\/(@nestjs|rxjs|reflect-metadata)/],
  [
    'express (router, response)',
    /node_modules\/(express|router|parseurl|send|finalhandler|on-finished|content-type|type-is|accepts|negotiator|statuses|qs|etag|fresh|depd)/,
  ],
  ['producer-gateway', /apps\/producer-gateway\//],
  ['consumer-gateway', /apps\/consumer-gateway\//],
  ['server-kit (other)', /packages\/server-kit\//],
];

function categoryOf(leaf: ProfileNode, parent: Map<number, ProfileNode>): string {
  const fn = leaf.callFrame.functionName;
  if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') return fn;
  for (let n: ProfileNode | undefined = leaf; n !== undefined; n = parent.get(n.id)) {
    const url = n.callFrame.url;
    if (url === '' || url.startsWith('node:')) continue;
    for (const [name, re] of CATEGORIES) if (re.test(url)) return name;
    return `other: ${packageOf(url)}`;
  }
  const leafUrl = leaf.callFrame.url;
  return leafUrl.startsWith('node:')
    ? 'node core (http, net, streams)'
    : 'native / V8 (no JS caller)';
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

function packageOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(apps|packages)\/([^/]+)\//.exec(url);
  return m !== null ? `${m[1]}/${m[2]}` : url;
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const top = Number(topArg ?? 25);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const parent = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const byCategory = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (n === undefined) continue;
    const c = categoryOf(n, parent);
    if (c === '(idle)') idle += us;
    byCategory.set(c, (byCategory.get(c) ?? 0) + us);
  }
  const busy = total - idle;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (n === undefined) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const where =
      url === ''
        ? ''
        : ` ${url.replace(/^.*\/(node_modules|apps|packages)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const pkg = packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const pct = (us: number): string => ((100 * us) / total).toFixed(1);
  const out: string[] = [
    `Profile ${file}: ${(total / 1e6).toFixed(2)} s of samples`,
    '',
    '| package | self % |',
    '| --- | ---: |',
  ];
  for (const [k, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15))
    out.push(`| ${k} | ${pct(us)} |`);
  out.push(
    '',
    `Busy (not idle): ${(busy / 1e6).toFixed(2)} s. By category (nearest library frame, leaf first):`,
    '',
    '| category | % of busy |',
    '| --- | ---: |',
  );
  for (const [k, us] of [...byCategory].sort((a, b) => b[1] - a[1])) {
    if (k !== '(idle)') out.push(`| ${k} | ${((100 * us) / busy).toFixed(1)} |`);
  }
  out.push('', '| function | self % |', '| --- | ---: |');
  for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    out.push(`| \`${k}\` | ${pct(us)} |`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
