import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY, createTopic, http, JSON_V2 } from './support';

// Deterministic pseudo-random generator so a failure can be replayed from its seed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = JSON.stringify({
  records: [
    { key: 'a2V5', value: 'dmFsdWU=' },
    { value: 'eA==', partition: 0 },
  ],
});
const PIECES = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '"',
  'null',
  'true',
  '-1',
  '1e999',
  '"records"',
  '"value"',
  '"partition"',
  '"key_schema_id"',
  '\\u0000',
  '\u00ff',
  '"=="',
  '0.5',
  '{}',
  '[]',
  '"\ud800"',
];
const CONTENT_TYPES = [
  BINARY,
  JSON_V2,
  'application/json',
  'application/vnd.kafka.avro.v2+json',
  'application/vnd.kafka.avro.v2+json',
  'application/vnd.kafka.jsonschema.v2+json',
  'application/vnd.kafka.protobuf.v2+json',
  'text/plain',
  '',
  'application/vnd.kafka.binary.v2+json; charset=latin1',
  'garbage/',
];

function mutate(next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const kind = Math.floor(next() * 6);
  const chars = [...VALID];
  switch (kind) {
    case 0: // flip characters
      for (let i = 0; i < 1 + next() * 5; i++)
        chars[Math.floor(next() * chars.length)] = String.fromCharCode(Math.floor(next() * 128));
      return chars.join('');
    case 1: // insert structural pieces
      for (let i = 0; i < 1 + next() * 4; i++)
        chars.splice(Math.floor(next() * chars.length), 0, pick(PIECES));
      return chars.join('');
    case 2: // truncate
      return VALID.slice(0, Math.floor(next() * VALID.length));
    case 3: // random JSON-ish value
      return Array.from({ length: 1 + Math.floor(next() * 12) }, () => pick(PIECES)).join('');
    case 4: // valid shape, wild field values
      return JSON.stringify({
        records: Array.from({ length: Math.floor(next() * 4) }, () => ({
          value: pick<unknown>([
            'eA==',
            '!!',
            42,
            null,
            {},
            [1],
            'x'.repeat(Math.floor(next() * 50)),
            true,
          ]),
          ...(next() < 0.5 ? { key: pick<unknown>(['a2V5', 'k', 1.5, [], null]) } : {}),
          ...(next() < 0.4
            ? { partition: pick<unknown>([0, 1, -1, 1e12, '0', null, 2.5, 99]) }
            : {}),
          ...(next() < 0.1 ? { headers: [] } : {}),
        })),
        ...(next() < 0.2 ? { value_schema_id: pick<unknown>([1, -1, 'x', null, 2 ** 31]) } : {}),
        ...(next() < 0.4
          ? {
              value_schema: pick<unknown>([
                '"string"',
                '"bytes"',
                '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}',
                '{"type":"record"}',
                '{"type":"object","properties":{"a":{"type":"integer"}}}',
                '{"type":"nonsense"}',
                'syntax = "proto3"; message M { string a = 1; }',
                'syntax = "proto3"; message {',
                '{',
                '',
                42,
              ]),
            }
          : {}),
        ...(next() < 0.1 ? { key_schema: pick<unknown>(['"string"', 'nope', null]) } : {}),
      });
    default: // random bytes
      return Array.from({ length: Math.floor(next() * 64) }, () =>
        String.fromCharCode(Math.floor(next() * 256)),
      ).join('');
  }
}

test('1,000 random and mutated produce bodies: never a 5xx, never a crash', async () => {
  const topic = await createTopic(2);
  const next = rng(20261124);
  const statuses = new Map<number, number>();
  const paths = [
    `/topics/${topic}`,
    `/topics/${topic}/partitions/0`,
    `/topics/${topic}/partitions/5`,
    `/topics/${topic}/partitions/-1`,
    `/topics/${topic}-missing`,
  ];
  for (let batch = 0; batch < 50; batch++) {
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const body = mutate(next);
        const ct = CONTENT_TYPES[Math.floor(next() * CONTENT_TYPES.length)]!;
        const path = paths[Math.floor(next() * paths.length)]!;
        const res = await http('POST', path, {
          headers: ct === '' ? {} : { 'content-type': ct },
          raw: body,
        });
        return { res, body, ct, path };
      }),
    );
    for (const { res, body, ct, path } of results) {
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(
        res.status < 500,
        `${res.status} for ${path} ${ct} ${JSON.stringify(body)}: ${res.text}`,
      );
      if (res.status >= 400) {
        const e = res.body as { error_code?: unknown; message?: unknown } | undefined;
        assert.equal(
          typeof e?.error_code,
          'number',
          `error body for ${JSON.stringify(body)}: ${res.text}`,
        );
        assert.equal(typeof e?.message, 'string');
      }
    }
  }
  // the gateway is still healthy and serving
  const ok = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': BINARY },
    body: { records: [{ value: 'eA==' }] },
  });
  assert.equal(ok.status, 200, ok.text);
  assert.ok(
    (statuses.get(200) ?? 0) > 0,
    `some bodies should be valid: ${JSON.stringify([...statuses])}`,
  );
});
