import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exceedsJsonDepth } from './json-depth';

const deep = (n: number, open = '[', close = ']'): string => open.repeat(n) + close.repeat(n);
const over = (text: string, max: number): boolean => exceedsJsonDepth(Buffer.from(text), max);

test('scalars and empty containers', () => {
  assert.equal(over('42', 0), false);
  assert.equal(over('"x"', 0), false);
  assert.equal(over('{}', 0), true);
  assert.equal(over('{}', 1), false);
  assert.equal(over('[]', 1), false);
  assert.equal(over('', 1), false);
});

test('exactly at the limit passes, one level more does not', () => {
  assert.equal(over(deep(64), 64), false);
  assert.equal(over(deep(65), 64), true);
  const mixed = '{"a":[{"b":[1,2,{"c":null}]}]}'; // depth 5
  assert.equal(over(mixed, 5), false);
  assert.equal(over(mixed, 4), true);
});

test('siblings do not add up; only nesting counts', () => {
  assert.equal(over(`[${Array(1000).fill('[[1]]').join(',')}]`, 3), false);
  assert.equal(over('{"a":{},"b":{},"c":{"d":{}}}', 3), false);
});

test('brackets inside strings do not count', () => {
  assert.equal(over(`{"k":"${'['.repeat(500)}"}`, 1), false);
  assert.equal(over(`["${'{'.repeat(10)}", "]]]]"]`, 1), false);
  assert.equal(over('{"[[[[": "{{{{"}', 1), false);
});

test('escapes: an escaped quote does not end the string, an escaped backslash does not escape it', () => {
  // "\"[[[" is one string; the brackets stay inside it
  assert.equal(over('["\\"[[[[", 1]', 1), false);
  // "\\" ends at the second quote, so the brackets after it are structure
  assert.equal(over('["\\\\", [[[1]]]]', 3), true);
  assert.equal(over('["\\\\", [[[1]]]]', 4), false);
  assert.equal(over('["\\u005b\\u005b", [1]]', 2), false);
});

test('multi-byte UTF-8 around brackets', () => {
  assert.equal(over('{"ключ":["日本語",{"😀":"[["}]}', 3), false);
  assert.equal(over('{"ключ":["日本語",{"😀":[[]]}]}', 4), true);
});

test('stray closers do not buy extra depth', () => {
  assert.equal(over(']]]]' + deep(3), 2), true);
});

test('a hostile 100,000-deep body is refused without recursion, in one pass', () => {
  assert.equal(over(deep(100_000), 1000), true);
  assert.equal(over(deep(100_000, '{"a":', '}'), 1000), true);
});

test('cost on a 1 MB body (reported, not asserted: performance lives in bench/)', (t) => {
  const record = JSON.stringify({ value: { id: 1, tags: ['a', 'b'], nested: { x: 'y [z] {w}' } } });
  const body = Buffer.from(`{"records":[${Array(16_000).fill(record).join(',')}]}`);
  assert.ok(body.length > 1_000_000);
  const rounds = 20;
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) assert.equal(exceedsJsonDepth(body, 1000), false);
  const perScanMs = Number(process.hrtime.bigint() - start) / 1e6 / rounds;
  const parseStart = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) JSON.parse(body.toString('utf8'));
  const perParseMs = Number(process.hrtime.bigint() - parseStart) / 1e6 / rounds;
  t.diagnostic(
    `depth scan of ${(body.length / 1e6).toFixed(2)} MB: ${perScanMs.toFixed(2)} ms ` +
      `(JSON.parse of the same body: ${perParseMs.toFixed(2)} ms)`,
  );
});
