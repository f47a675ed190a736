import { isUtf8 } from 'node:buffer';
import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { CodecError } from '../errors';
import { JsonText, parseJsonExactly, stringifyExactJson } from '../exact-json';
import { JsonBytes } from '../json-buffer';
import type { ParsedSchema } from './parsed-schema';

// One validator factory per draft, created lazily; each compiles a schema once per schema id.
let draft7: Ajv | undefined;
let draft2019: Ajv2019 | undefined;
let draft2020: Ajv2020 | undefined;

/**
 * Meta-schema URIs with a validator of their own, matched as a prefix (with or without `#`,
 * http or https), as Confluent's loader (everit's SpecificationVersion) matches them.
 */
const OWN_VALIDATOR = /^https?:\/\/json-schema\.org\/draft\/(2019-09|2020-12)\/schema/;

/**
 * The validator for a schema's `$schema`: 2019-09 and 2020-12 have their own; anything else
 * (absent, draft-07, draft-04, draft-06, a custom meta-schema) is validated as draft 7, as
 * Confluent does, instead of refusing a dialect the validator does not know.
 */
function compilerFor(dialect: unknown): Ajv | Ajv2019 | Ajv2020 {
  const draft = typeof dialect === 'string' ? OWN_VALIDATOR.exec(dialect)?.[1] : undefined;
  const options = { strict: false, allErrors: false, validateFormats: true } as const;
  if (draft === '2020-12') return (draft2020 ??= addFormats(new Ajv2020(options)));
  if (draft === '2019-09') return (draft2019 ??= addFormats(new Ajv2019(options)));
  if (draft7 === undefined) {
    draft7 = addFormats(new Ajv(options));
    // Draft-04 schemas name themselves with `id`, which ajv refuses outright ("use $id"); draft 7
    // has no such keyword, so it is ignored like any unknown one (strict: false), as Confluent does.
    draft7.removeKeyword('id');
  }
  return draft7;
}

/**
 * JSON Schema as Confluent's serializer writes it: the value is validated against the registered
 * schema before producing, and the payload is its compact UTF-8 JSON text.
 */
export function parseJsonSchema(text: string): ParsedSchema {
  let validate: ValidateFunction;
  let title: string | undefined;
  try {
    const schema = JSON.parse(text) as unknown;
    if (typeof schema !== 'object' || schema === null)
      throw new Error('a JSON Schema is an object or a boolean');
    const t = (schema as Record<string, unknown>)['title'];
    title = typeof t === 'string' ? t : undefined;
    // the registry may hand us the same $id twice (new versions): never reuse a stale compile.
    // $schema only chooses the validator: left in, a URI that validator has no meta-schema for
    // makes it refuse the schema, so it checks the schema against its own draft's instead.
    const { $id: _id, $schema: dialect, ...anonymous } = schema as Record<string, unknown>;
    validate = compilerFor(dialect).compile(anonymous);
  } catch (err) {
    throw new CodecError(
      'schema_invalid',
      `Invalid JSON Schema: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return {
    schemaType: 'JSON',
    recordName: title,
    encode(value: unknown): { payload: Buffer } {
      let text: string;
      let checked = value;
      try {
        text = JSON.stringify(value);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        // Integers beyond 2^53 arrive as BigInt, which ajv does not count as numbers: they are
        // validated as the nearest doubles (still integers, so `integer` holds; a bound within
        // the rounding of such a number is approximate) and written with every digit.
        text = stringifyExactJson(value);
        checked = JSON.parse(text) as unknown;
      }
      if (!validate(checked)) {
        const e = validate.errors?.[0];
        const where =
          e?.instancePath === undefined || e.instancePath === '' ? '<root>' : e.instancePath;
        throw new CodecError(
          'schema_mismatch',
          `Value does not match the JSON Schema at ${where}: ${e?.message ?? 'invalid'}`,
        );
      }
      return { payload: Buffer.from(text, 'utf8') };
    },
    decode(payload: Buffer): unknown {
      try {
        return parseJsonExactly(payload);
      } catch (err) {
        throw new CodecError(
          'deserialization_failed',
          `Bytes are not JSON: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    },
    // the payload is the JSON text itself: checked, then embedded verbatim (every digit kept)
    decodeJson(payload: Buffer): unknown {
      const text = payload.toString('utf8');
      try {
        JSON.parse(text);
      } catch (err) {
        throw new CodecError(
          'deserialization_failed',
          `Bytes are not JSON: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      return isUtf8(payload) ? new JsonBytes(payload) : new JsonText(text);
    },
  };
}
