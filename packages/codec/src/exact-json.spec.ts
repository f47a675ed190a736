import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  JSON_LONG_INTEGER,
  JSON_TOO_DEEP,
  JsonText,
  mayHoldLongIntegers,
  parseExactJson,
  parseJsonExactly,
  renderJsonField,
  scanJsonText,
  stringifyExactJson,
} from './exact-json';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

test('scan: long integer literals outside strings are noticed; inside strings they are not', () => {
  assert.equal(scanJsonText(bytes('{"a":9007199254740993}'), 64), JSON_LONG_INTEGER);
  assert.equal(scanJsonText(bytes('[-9223372036854775808]'), 64), JSON_LONG_INTEGER);
  assert.equal(scanJsonText(bytes('{"a":900719925474099}'), 64), 0); // 15 digits: always exact
  assert.equal(scanJsonText(bytes('{"a":"9007199254740993"}'), 64), 0);
  assert.equal(scanJsonText(bytes('{"9007199254740993":1}'), 64), 0);
  assert.equal(scanJsonText(bytes('{"a":"x\\"9007199254740993"}'), 64), 0); // escaped quote
  assert.equal(scanJsonText(bytes('{"a":1.5,"b":12345678.12345678}'), 64), 0);
  assert.equal(mayHoldLongIntegers(bytes('{"a":{"b":[1,2,12345678901234567890]}}')), true);
});

test('scan: depth as the depth guard counts it, stopping at the first level too deep', () => {
  assert.equal(scanJsonText(bytes('[[[]]]'), 3), 0);
  assert.equal(scanJsonText(bytes('[[[[]]]]'), 3) & JSON_TOO_DEEP, JSON_TOO_DEEP);
  assert.equal(scanJsonText(bytes('"[[[[[["'), 3), 0); // brackets in strings do not count
  assert.equal(scanJsonText(bytes(']]]]][[['), 3), 0); // stray closers buy no depth
});

test('exact parse: integers beyond 2^53 are BigInts with every digit, in keys and values anywhere', () => {
  const text =
    '{"a":9007199254740993,"n":{"deep":[1,-9223372036854775808,{"x":9223372036854775807}]},' +
    '"u":18446744073709551615,"safe":9007199254740991,"neg":-9007199254740991}';
  assert.deepEqual(parseExactJson(text), {
    a: 9007199254740993n,
    n: { deep: [1, -9223372036854775808n, { x: 9223372036854775807n }] },
    u: 18446744073709551615n,
    safe: 9007199254740991,
    neg: -9007199254740991,
  });
  // 2^53 itself is a double, but JSON.parse cannot tell it from 2^53 + 1: exact too
  assert.equal(parseExactJson('9007199254740992'), 9007199254740992n);
});

test('exact parse: floats, exponents, strings and numeric strings are what JSON.parse gives', () => {
  const text =
    '{"f":1.5,"e":1e300,"E":-2.5E-7,"long fraction":0.12345678901234567890,' +
    '"big float":12345678901234567890.5,"big exp":12345678901234567890e2,"s":"9007199254740993",' +
    '"esc":"a\\"b\\\\c\\u00e9\\n","zero":-0,"t":true,"f2":false,"nil":null,"arr":[],"obj":{}}';
  const exact = parseExactJson(text) as Record<string, unknown>;
  assert.deepEqual(exact, JSON.parse(text));
  assert.ok(Object.is(exact['zero'], -0));
});

test('exact parse: duplicate keys keep the last; "__proto__" is an own property, as JSON.parse', () => {
  const v = parseExactJson('{"a":1,"a":9007199254740993,"__proto__":{"polluted":true}}') as Record<
    string,
    unknown
  >;
  assert.equal(v['a'], 9007199254740993n);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['a', '__proto__']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('exact parse: the same value as JSON.parse for any JSON without long integers (property)', () => {
  fc.assert(
    fc.property(fc.json(), (text) => {
      fc.pre(!mayHoldLongIntegers(bytes(text))); // a double printed with 16+ digits differs
      assert.deepEqual(parseExactJson(text), JSON.parse(text));
    }),
    { numRuns: 300 },
  );
});

test('exact parse of bytes: JSON.parse errors for malformed text, exact integers only when needed', () => {
  assert.throws(() => parseJsonExactly(bytes('{"a":9007199254740993')), SyntaxError);
  assert.deepEqual(parseJsonExactly(bytes('{"a":9007199254740993}')), { a: 9007199254740993n });
  assert.deepEqual(parseJsonExactly(bytes('{"a":1}')), { a: 1 });
});

test('exact stringify: BigInts as integer literals anywhere; everything else as JSON.stringify', () => {
  const v = {
    a: 9007199254740993n,
    n: { deep: [1, -9223372036854775808n, { x: 18446744073709551615n }] },
    f: 1.5e300,
    skipped: undefined,
    arr: [undefined, () => 1],
    s: 'é"\n',
    when: new Date(0),
  };
  assert.equal(
    stringifyExactJson(v),
    '{"a":9007199254740993,"n":{"deep":[1,-9223372036854775808,{"x":18446744073709551615}]},' +
      '"f":1.5e+300,"arr":[null,null],"s":"é\\"\\n","when":"1970-01-01T00:00:00.000Z"}',
  );
  const plain = { a: [1, 'x', { b: null }], c: 2.5 };
  assert.equal(stringifyExactJson(plain), JSON.stringify(plain));
  assert.equal(stringifyExactJson(undefined), 'null');
});

test('exact round trip: parse then stringify keeps every digit', () => {
  const text = '{"id":9007199254740993,"ids":[-9223372036854775808,9223372036854775807],"x":1.25}';
  assert.equal(stringifyExactJson(parseExactJson(text)), text);
});

test('record fields: JsonText is embedded verbatim, other values written exactly', () => {
  assert.equal(
    renderJsonField(new JsonText('{ "a" : 9007199254740993 }')),
    '{ "a" : 9007199254740993 }',
  );
  assert.equal(renderJsonField({ a: 9007199254740993n }), '{"a":9007199254740993}');
  assert.equal(renderJsonField(null), 'null');
});

/** The byte-by-byte scan `scanJsonText` replaced (string contents now skipped with indexOf). */
function scanByteByByte(text: Uint8Array, maxDepth: number): number {
  const n = text.length;
  let depth = 0;
  let digits = 0;
  let flags = 0;
  for (let i = 0; i < n; i++) {
    const b = text[i]!;
    if (b === 0x22) {
      for (i++; i < n; i++) {
        const c = text[i];
        if (c === 0x5c) i++;
        else if (c === 0x22) break;
      }
      digits = 0;
    } else if (b >= 0x30 && b <= 0x39) {
      if (++digits === 16) flags |= JSON_LONG_INTEGER;
    } else {
      digits = 0;
      if (b === 0x7b || b === 0x5b) {
        if (++depth > maxDepth) return flags | JSON_TOO_DEEP;
      } else if ((b === 0x7d || b === 0x5d) && depth > 0) depth--;
    }
  }
  return flags;
}

test('scan: the same flags as the byte-by-byte scan, on JSON and on any text', () => {
  const pieces = fc.constantFrom(
    '"',
    '\\',
    '\\\\',
    '\\"',
    '{',
    '}',
    '[',
    ']',
    'a',
    'é',
    '1',
    '12345678901234567',
    ',',
    ':',
    ' ',
  );
  fc.assert(
    fc.property(
      fc.array(pieces, { maxLength: 60 }),
      fc.integer({ min: 1, max: 6 }),
      (parts, max) => {
        const text = bytes(parts.join(''));
        assert.equal(scanJsonText(text, max), scanByteByByte(text, max), parts.join(''));
      },
    ),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 8 }), (v, max) => {
      const text = bytes(JSON.stringify(v));
      assert.equal(scanJsonText(text, max), scanByteByByte(text, max));
    }),
    { numRuns: 1000 },
  );
});
