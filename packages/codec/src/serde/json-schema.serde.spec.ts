import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../errors';
import { parseJsonSchema } from './json-schema.serde';

const mismatch = (e: unknown): boolean => e instanceof CodecError && e.code === 'schema_mismatch';

/** Valid in draft 7 only: `items` as an array is tuple validation there (2020-12 refuses it). */
const tuple = (dialect: unknown): string =>
  JSON.stringify({
    ...(dialect === undefined ? {} : { $schema: dialect }),
    type: 'array',
    items: [{ type: 'integer' }, { type: 'string' }],
  });

for (const dialect of [
  'http://json-schema.org/draft-04/schema#',
  'http://json-schema.org/draft-06/schema#',
  'https://example.com/my-meta',
  'https://json-schema.org/draft-07/schema', // https: not the URI of ajv's draft-07 meta-schema
  'http://json-schema.org/draft-07/schema#',
  42,
  undefined,
]) {
  test(`json schema: $schema ${String(dialect)} is validated as draft 7`, () => {
    const schema = parseJsonSchema(tuple(dialect));
    assert.equal(schema.encode([1, 'a']).payload.toString('utf8'), '[1,"a"]');
    assert.throws(() => schema.encode([1, 2]), mismatch, 'tuple items checked as draft 7 does');
  });
}

test('json schema: a draft-04 schema with its `id` keywords is usable', () => {
  const schema = parseJsonSchema(
    JSON.stringify({
      $schema: 'http://json-schema.org/draft-04/schema#',
      id: 'http://example.com/user.json',
      title: 'User',
      type: 'object',
      properties: { id: { type: 'integer' }, name: { id: '#name', type: 'string' } },
      required: ['id'],
    }),
  );
  assert.equal(schema.recordName, 'User');
  assert.deepEqual(schema.decode(schema.encode({ id: 1 }).payload), { id: 1 });
  assert.throws(() => schema.encode({}), mismatch);
  assert.throws(() => schema.encode({ id: 1, name: 2 }), mismatch);
});

for (const dialect of [
  'https://json-schema.org/draft/2020-12/schema',
  'http://json-schema.org/draft/2020-12/schema#',
]) {
  test(`json schema: ${dialect} keeps the 2020-12 validator`, () => {
    const schema = parseJsonSchema(
      JSON.stringify({ $schema: dialect, prefixItems: [{ type: 'integer' }], items: false }),
    );
    schema.encode([1]);
    // draft 7 knows neither keyword's meaning here and would accept this
    assert.throws(() => schema.encode([1, 2]), mismatch);
  });
}

test('json schema: 2019-09 keeps its validator', () => {
  const schema = parseJsonSchema(
    JSON.stringify({
      $schema: 'https://json-schema.org/draft/2019-09/schema',
      type: 'object',
      dependentRequired: { a: ['b'] },
    }),
  );
  schema.encode({ a: 1, b: 2 });
  assert.throws(() => schema.encode({ a: 1 }), mismatch);
});

test('json schema: a schema that is invalid in its draft is still refused', () => {
  for (const text of [
    '{"$schema": "https://example.com/my-meta", "type": 12}',
    tuple('https://json-schema.org/draft/2020-12/schema'),
    '"not an object"',
  ])
    assert.throws(
      () => parseJsonSchema(text),
      (e: unknown) => e instanceof CodecError && e.code === 'schema_invalid',
      text,
    );
});
