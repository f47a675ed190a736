import * as avro from 'avsc';
import { CodecError } from '../errors';
import { JsonText, parseExactJson, stringifyExactJson } from '../exact-json';
import type { ParsedSchema } from './parsed-schema';

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;
const DECIMAL = /^-?\d+$/;

// avsc's own long accepts only |n| <= 2^52; Kafka data carries ids and timestamps above that.
// This long keeps the full 64 bits as a BigInt inside avsc. In JSON it takes a number, a BigInt
// (an integer beyond 2^53 from the exact parse) or a decimal string, and gives a number while
// that is exact, else the BigInt, which the exact JSON writer prints with every digit.
const longType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (n: unknown) => {
    if (typeof n === 'bigint') return n;
    if (typeof n === 'number' || (typeof n === 'string' && DECIMAL.test(n))) return BigInt(n);
    throw new Error(`not a long: ${JSON.stringify(n) ?? String(n)}`);
  },
  toJSON: (n: bigint) => {
    const x = Number(n);
    return Number.isSafeInteger(x) ? x : n;
  },
  isValid: (n: unknown) => typeof n === 'bigint' && n >= MIN_LONG && n <= MAX_LONG,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * avsc's `_copy` with Avro's JSON rules: `fromString(text)` is `_copy(JSON.parse(text), {coerce:
 * 2})` and `toString(v)` is `JSON.stringify(_copy(v, {coerce: 3}))` (avsc 5). The JSON.parse and
 * JSON.stringify there are what cannot carry a BigInt, so a value holding one goes to `_copy`
 * itself.
 */
interface CopyingType {
  _copy(value: unknown, opts: { coerce: 2 | 3 }): unknown;
}

/** A primitive type class of avsc, typed with its `_copy`. */
type CopyingClass = new () => avro.Type & CopyingType;
const DoubleBase = avro.types.DoubleType as unknown as CopyingClass;
const FloatBase = avro.types.FloatType as unknown as CopyingClass;

/**
 * Avro's `double` and `float` as Confluent reads them from JSON, where any number fits (Jackson's
 * asDouble): an integer beyond 2^53 (a BigInt from the exact parse) becomes the nearest double.
 */
class WideningDouble extends DoubleBase {
  override _copy(value: unknown, opts: { coerce: 2 | 3 }): unknown {
    return super._copy(opts.coerce === 2 ? fromJsonNumber(value) : widened(value), opts);
  }
}
class WideningFloat extends FloatBase {
  override _copy(value: unknown, opts: { coerce: 2 | 3 }): unknown {
    return super._copy(opts.coerce === 2 ? fromJsonNumber(value) : widened(value), opts);
  }
}

/**
 * A JSON number as a double: a BigInt widened, and -0 as 0, as it was when request values went
 * through a JSON text first (JSON.stringify writes -0 as `0`), so the bytes written stay the same.
 */
function fromJsonNumber(value: unknown): unknown {
  return Object.is(value, -0) ? 0 : widened(value);
}

function widened(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Whether a parsed JSON value has an own "__proto__" key at any depth. */
function hasProtoKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (hasProtoKey(item)) return true;
    return false;
  }
  if (Object.hasOwn(value, '__proto__')) return true;
  for (const key in value) if (hasProtoKey((value as Record<string, unknown>)[key])) return true;
  return false;
}
const EXACT_TYPES: Readonly<Record<string, avro.Type>> = {
  long: longType,
  double: new WideningDouble(),
  float: new WideningFloat(),
};

/**
 * Every `long`, `double` and `float` of a schema (by name, as `{"type": ...}`, or with a logical
 * type, which is read as its underlying type) is one of the types above; the registry option
 * alone would only cover the name form.
 */
function exactNumberTypes(schema: avro.Schema): avro.Type | undefined {
  const name =
    typeof schema === 'string'
      ? schema
      : typeof schema === 'object' && schema !== null && !Array.isArray(schema)
        ? (schema as { type?: unknown }).type
        : undefined;
  return typeof name === 'string' && Object.hasOwn(EXACT_TYPES, name)
    ? EXACT_TYPES[name]
    : undefined;
}

/**
 * Avro with Confluent's JSON rules: request values are the Avro JSON encoding of the datum
 * (unions tagged `{"string": "x"}`, bytes and fixed as strings of ISO-8859-1 code points,
 * logical types as their underlying type), exactly what Confluent's REST Proxy expects, and
 * records read back are rendered the same way. Longs keep all 64 bits both ways.
 */
export function parseAvro(text: string): ParsedSchema {
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(JSON.parse(text) as avro.Schema, {
      wrapUnions: true,
      typeHook: exactNumberTypes,
    });
  } catch (err) {
    throw new CodecError('schema_invalid', `Invalid Avro schema: ${message(err)}`);
  }
  return {
    schemaType: 'AVRO',
    recordName: type.name,
    encode(value: unknown): { payload: Buffer } {
      // A "__proto__" map key or field cannot survive avsc's decoding into plain objects:
      // refuse it instead of losing it silently.
      if (hasProtoKey(value)) {
        throw new CodecError('schema_mismatch', 'Keys named "__proto__" are not supported');
      }
      let datum: unknown;
      try {
        // Avro's JSON decoding rules (tagged unions, byte strings) straight on the parsed value:
        // what `fromString(JSON.stringify(value))` does, without the text round trip.
        datum = (type as unknown as CopyingType)._copy(value, { coerce: 2 });
      } catch (err) {
        // avsc names the offending value with JSON.stringify, which refuses a BigInt
        const why =
          err instanceof TypeError && err.message.includes('BigInt')
            ? 'an integer beyond 2^53 where the schema has no long, float or double'
            : message(err);
        throw new CodecError('schema_mismatch', `Value does not match the Avro schema: ${why}`);
      }
      // `_copy` checked every value on its way; the writer checks again. Only a refusal pays for
      // the full check that names where the value does not match.
      try {
        return { payload: type.toBuffer(datum) };
      } catch (err) {
        const errors: string[] = [];
        if (type.isValid(datum, { errorHook: (path) => errors.push(path.join('.') || '<root>') })) {
          throw new CodecError(
            'schema_mismatch',
            `Value does not match the Avro schema: ${message(err)}`,
          );
        }
        throw new CodecError(
          'schema_mismatch',
          `Value does not match the Avro schema at ${errors.join(', ')}`,
        );
      }
    },
    decode(payload: Buffer): unknown {
      try {
        const datum: unknown = type.fromBuffer(payload);
        let text: string;
        try {
          text = type.toString(datum);
        } catch (err) {
          if (!(err instanceof TypeError)) throw err;
          // a long beyond 2^53: the same JSON form with BigInts, as plain objects
          const json = (type as unknown as CopyingType)._copy(datum, { coerce: 3 });
          return parseExactJson(stringifyExactJson(json));
        }
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new CodecError(
          'deserialization_failed',
          `Bytes do not decode with the Avro writer schema: ${message(err)}`,
        );
      }
    },
    // avsc's toString is the Avro JSON text `decode` parses: the answer embeds it as it is
    // (JSON.stringify(JSON.parse(t)) is t for any JSON.stringify output t), one parse and one
    // stringify less per record; a long beyond 2^53 is written with every digit
    decodeJson(payload: Buffer): JsonText {
      try {
        const datum: unknown = type.fromBuffer(payload);
        try {
          return new JsonText(type.toString(datum));
        } catch (err) {
          if (!(err instanceof TypeError)) throw err;
          const json = (type as unknown as CopyingType)._copy(datum, { coerce: 3 });
          return new JsonText(stringifyExactJson(json));
        }
      } catch (err) {
        throw new CodecError(
          'deserialization_failed',
          `Bytes do not decode with the Avro writer schema: ${message(err)}`,
        );
      }
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
