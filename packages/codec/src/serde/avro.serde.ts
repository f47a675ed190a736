import * as avro from 'avsc';
import { CodecError } from '../errors';
import type { ParsedSchema } from './parsed-schema';

/**
 * Avro with Confluent's JSON rules: request values are the Avro JSON encoding of the datum
 * (unions tagged `{"string": "x"}`, bytes and fixed as strings of ISO-8859-1 code points,
 * logical types as their underlying type), exactly what Confluent's REST Proxy expects, and
 * records read back are rendered the same way.
 */
// avsc's own long accepts only |n| <= 2^52; Kafka data carries ids and timestamps above that.
// This long keeps the full 64 bits as a BigInt inside avsc and exchanges JSON numbers (exact up
// to 2^53, the limit of a JSON number parsed by JavaScript).
const longType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (n: number | string) => BigInt(n),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

export function parseAvro(text: string): ParsedSchema {
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(JSON.parse(text) as avro.Schema, {
      wrapUnions: true,
      registry: { long: longType },
    });
  } catch (err) {
    throw new CodecError('schema_invalid', `Invalid Avro schema: ${message(err)}`);
  }
  return {
    schemaType: 'AVRO',
    recordName: type.name,
    encode(value: unknown): { payload: Buffer } {
      let datum: unknown;
      const text = JSON.stringify(value);
      // A "__proto__" map key or field cannot survive avsc's decoding into plain objects:
      // refuse it instead of losing it silently.
      if (text.includes('"__proto__":')) {
        throw new CodecError('schema_mismatch', 'Keys named "__proto__" are not supported');
      }
      try {
        // fromString applies the Avro JSON decoding rules (tagged unions, byte strings).
        datum = type.fromString(text);
      } catch (err) {
        throw new CodecError(
          'schema_mismatch',
          `Value does not match the Avro schema: ${message(err)}`,
        );
      }
      const errors: string[] = [];
      if (!type.isValid(datum, { errorHook: (path) => errors.push(path.join('.') || '<root>') })) {
        throw new CodecError(
          'schema_mismatch',
          `Value does not match the Avro schema at ${errors.join(', ')}`,
        );
      }
      return { payload: type.toBuffer(datum) };
    },
    decode(payload: Buffer): unknown {
      try {
        return JSON.parse(type.toString(type.fromBuffer(payload))) as unknown;
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
