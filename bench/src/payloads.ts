import { randomBytes } from 'node:crypto';
import type { PreparedWriter } from '@kafka-gateway/codec';

export type RowFormat = 'binary' | 'json' | 'avro';

/** The Avro schema of the json/avro rows: the padding field sets the stored record size. */
export const BENCH_AVRO_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'BenchRecord',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'source', type: 'string' },
    { name: 'payload', type: 'string' },
  ],
});

export interface BenchValue {
  id: number;
  source: string;
  payload: string;
}

const PAD = 'abcdefghijklmnopqrstuvwxyz0123456789';

function padding(n: number): string {
  return PAD.repeat(Math.ceil(Math.max(0, n) / PAD.length)).slice(0, Math.max(0, n));
}

/**
 * A value whose stored form (what lands in Kafka) is `bytes` long, give or take a byte:
 * JSON text for `json`, the Confluent wire format (5-byte header + Avro) for `avro`.
 */
export function sizedValue(
  i: number,
  bytes: number,
  storedSize: (v: BenchValue) => number,
): BenchValue {
  const v: BenchValue = { id: 1_000_000 + i, source: 'bench', payload: '' };
  for (let attempt = 0; attempt < 3; attempt++) {
    const diff = bytes - storedSize(v);
    if (diff === 0) break;
    v.payload = padding(v.payload.length + diff);
  }
  return v;
}

/**
 * `count` records of one row, ready for both sides: the JSON envelope values the HTTP client
 * puts in `records[].value`, and a function the direct twin calls per send to serialize them
 * to Kafka bytes (the work the gateway otherwise does for it).
 */
export interface RowRecords {
  readonly format: RowFormat;
  /** bytes of one stored value */
  readonly storedBytes: number;
  readonly envelopeValues: readonly unknown[];
  serialize(): { value: Buffer }[];
}

export function makeRecords(
  format: RowFormat,
  bytes: number,
  count: number,
  avroWriter?: PreparedWriter,
): RowRecords {
  if (format === 'binary') {
    const buffers = Array.from({ length: count }, () => randomBytes(bytes));
    const messages = buffers.map((value) => ({ value }));
    return {
      format,
      storedBytes: bytes,
      envelopeValues: buffers.map((b) => b.toString('base64')),
      serialize: () => messages,
    };
  }
  if (format === 'json') {
    const jsonSize = (v: BenchValue): number => Buffer.byteLength(JSON.stringify(v));
    const values = Array.from({ length: count }, (_, i) => sizedValue(i, bytes, jsonSize));
    return {
      format,
      storedBytes: jsonSize(values[0]!),
      envelopeValues: values,
      serialize: () => values.map((v) => ({ value: Buffer.from(JSON.stringify(v)) })),
    };
  }
  if (avroWriter === undefined) throw new Error('avro rows need a prepared writer');
  const avroSize = (v: BenchValue): number => avroWriter.serialize(v)!.length;
  const values = Array.from({ length: count }, (_, i) => sizedValue(i, bytes, avroSize));
  return {
    format,
    storedBytes: avroSize(values[0]!),
    envelopeValues: values,
    serialize: () => values.map((v) => ({ value: avroWriter.serialize(v)! })),
  };
}

export function sizeLabel(bytes: number): string {
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} B`;
}
