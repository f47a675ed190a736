import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonObjectSplitter } from './json-stream-splitter';

function splitAll(chunks: Buffer[], max = 1 << 20): { objects: string[]; error?: string } {
  const s = new JsonObjectSplitter(max);
  const objects: string[] = [];
  for (const c of chunks) {
    const r = s.push(c);
    objects.push(...r.objects.map((o) => o.toString('utf8')));
    if (r.error !== undefined) return { objects, error: r.error };
  }
  const error = s.end();
  return error === undefined ? { objects } : { objects, error };
}

test('splits concatenated objects with any whitespace between them', () => {
  const text = ' {"a":1}{"b":{"c":[1,{"d":2}]}}\r\n\t{"e":"}{"}\n';
  assert.deepEqual(splitAll([Buffer.from(text)]).objects, [
    '{"a":1}',
    '{"b":{"c":[1,{"d":2}]}}',
    '{"e":"}{"}',
  ]);
});

test('braces and escaped quotes inside strings do not count', () => {
  const text = '{"s":"a\\"}{\\\\"}{"t":"\\\\"}';
  const { objects, error } = splitAll([Buffer.from(text)]);
  assert.equal(error, undefined);
  assert.deepEqual(
    objects.map((o) => JSON.parse(o) as unknown),
    [{ s: 'a"}{\\' }, { t: '\\' }],
  );
});

test('every chunk boundary gives the same objects (multi-byte UTF-8 split too)', () => {
  const records = [
    { value: { type: 'STRING', data: 'héllo 🌍 {"x"}' } },
    { key: { type: 'JSON', data: [1, { a: '\\"' }] } },
    {},
  ];
  const text = records.map((r) => JSON.stringify(r)).join('\n');
  const bytes = Buffer.from(text, 'utf8');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { objects, error } = splitAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(error, undefined, `cut at ${cut}`);
    assert.deepEqual(
      objects.map((o) => JSON.parse(o) as unknown),
      records,
      `cut at ${cut}`,
    );
  }
});

test('property: arbitrary JSON objects cut into arbitrary chunks come back whole and in order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (objects, cuts) => {
        const bytes = Buffer.from(objects.map((o) => JSON.stringify(o)).join(' '), 'utf8');
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const p of points) {
          chunks.push(bytes.subarray(at, p));
          at = p;
        }
        chunks.push(bytes.subarray(at));
        const { objects: got, error } = splitAll(chunks);
        assert.equal(error, undefined);
        assert.deepEqual(
          got.map((o) => JSON.parse(o) as unknown),
          objects.map((o) => JSON.parse(JSON.stringify(o)) as unknown),
        );
      },
    ),
  );
});

test('junk between objects ends the stream after the objects before it', () => {
  const { objects, error } = splitAll([Buffer.from('{"a":1} x {"b":2}')]);
  assert.deepEqual(objects, ['{"a":1}']);
  assert.match(error ?? '', /Unexpected character 'x'/);
});

test('an unclosed object at the end is an error', () => {
  const { objects, error } = splitAll([Buffer.from('{"a":1}{"b":')]);
  assert.deepEqual(objects, ['{"a":1}']);
  assert.match(error ?? '', /not closed/);
});

test('an object above the size limit is an error, even split across chunks', () => {
  assert.match(splitAll([Buffer.from('{"a":"0123456789"}')], 10).error ?? '', /larger than 10/);
  const chunks = ['{"a":"01', '2345', '6789"}'].map((c) => Buffer.from(c));
  assert.match(splitAll(chunks, 10).error ?? '', /larger than 10/);
  assert.deepEqual(splitAll([Buffer.from('{"a":1}')], 10).objects, ['{"a":1}']);
});
