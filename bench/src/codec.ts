import { randomBytes } from 'node:crypto';
import {
  CodecError,
  decodeBinaryField,
  decodeJsonField,
  encodeBinaryField,
  encodeJsonField,
  type RegisteredSchema,
  type SchemaFormat,
  type SchemaReference,
  type SchemaRegistry,
  SchemaSerde,
  type SchemaType,
} from '@kafka-gateway/codec';

/**
 * Codec micro-benchmark: records/s of encode (JSON envelope value → Kafka bytes, the producer's
 * work) and decode (Kafka bytes → JSON envelope value, the consumer's work) per embedded format,
 * for records of about 1 KB, through the codec package's own serde and an in-memory registry.
 * It measures the codec only: parsing the HTTP body and writing the answer are not included.
 */

/** A registry in memory: no network, so only the serde's CPU is measured. */
export class InMemorySchemaRegistry implements SchemaRegistry {
  private readonly schemas: RegisteredSchema[] = [];
  private readonly subjects = new Map<string, number[]>();

  async register(
    subject: string,
    schemaType: SchemaType,
    schema: string,
    references: readonly SchemaReference[] = [],
  ): Promise<number> {
    let found = this.schemas.find((s) => s.schema === schema && s.schemaType === schemaType);
    if (found === undefined) {
      found = { id: this.schemas.length + 1, schemaType, schema, references };
      this.schemas.push(found);
    }
    const versions = this.subjects.get(subject) ?? [];
    if (!versions.includes(found.id)) versions.push(found.id);
    this.subjects.set(subject, versions);
    return found.id;
  }

  async getById(id: number): Promise<RegisteredSchema> {
    const s = this.schemas[id - 1];
    if (s === undefined) throw new CodecError('schema_not_found', `Schema ${id} not found`);
    return s;
  }

  async lookup(
    subject: string,
    schemaType: SchemaType,
    schema: string,
  ): Promise<{ id: number; version: number }> {
    const versions = this.subjects.get(subject) ?? [];
    const index = versions.findIndex((id) => {
      const s = this.schemas[id - 1];
      return s !== undefined && s.schema === schema && s.schemaType === schemaType;
    });
    if (index < 0) throw new CodecError('schema_not_found', `${subject}: schema not found`);
    return { id: versions[index]!, version: index + 1 };
  }

  async getVersion(
    subject: string,
    version: number | 'latest',
  ): Promise<RegisteredSchema & { version: number }> {
    const versions = this.subjects.get(subject) ?? [];
    const v = version === 'latest' ? versions.length : version;
    const id = versions[v - 1];
    if (id === undefined) throw new CodecError('schema_not_found', `${subject} v${v} not found`);
    return { ...this.schemas[id - 1]!, version: v };
  }
}

export type CodecFormat = 'binary' | 'json' | SchemaFormat;
export const CODEC_FORMATS: readonly CodecFormat[] = [
  'binary',
  'json',
  'avro',
  'jsonschema',
  'protobuf',
];

interface CodecValue {
  id: number;
  name: string;
  email: string;
  active: boolean;
  score: number;
  tags: string[];
  payload: string;
}

const AVRO = JSON.stringify({
  type: 'record',
  name: 'CodecRecord',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'active', type: 'boolean' },
    { name: 'score', type: 'double' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'payload', type: 'string' },
  ],
});

const JSON_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    email: { type: 'string' },
    active: { type: 'boolean' },
    score: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' } },
    payload: { type: 'string' },
  },
  required: ['id', 'name', 'email', 'active', 'score', 'tags', 'payload'],
  additionalProperties: false,
});

const PROTO = `syntax = "proto3";
package bench;
message CodecRecord {
  int64 id = 1;
  string name = 2;
  string email = 3;
  bool active = 4;
  double score = 5;
  repeated string tags = 6;
  string payload = 7;
}
`;

const SCHEMA_TEXT: Readonly<Record<SchemaFormat, string>> = {
  avro: AVRO,
  jsonschema: JSON_SCHEMA,
  protobuf: PROTO,
};

export interface CodecRow {
  readonly format: CodecFormat;
  readonly operation: 'encode' | 'decode';
  /** stored (Kafka) bytes of one record */
  readonly recordBytes: number;
  readonly ops: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly nsPerRecord: number;
}

/** One format's pair of operations over the same value and bytes. */
interface Subject {
  readonly encode: () => number;
  readonly decode: () => number;
  readonly recordBytes: number;
}

function valueOfSize(bytes: number, size: (v: CodecValue) => number): CodecValue {
  const v: CodecValue = {
    id: 4_000_000_123,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    active: true,
    score: 98.625,
    tags: ['alpha', 'beta', 'gamma', 'delta', 'epsilon'],
    payload: '',
  };
  for (let i = 0; i < 3; i++) {
    const diff = bytes - size(v);
    if (diff === 0) break;
    v.payload = 'x'.repeat(Math.max(0, v.payload.length + diff));
  }
  return v;
}

async function subjectFor(format: CodecFormat, bytes: number): Promise<Subject> {
  if (format === 'binary') {
    const b64 = randomBytes(bytes).toString('base64');
    const stored = decodeBinaryField(b64, 'value')!;
    return {
      recordBytes: stored.length,
      encode: () => decodeBinaryField(b64, 'value')!.length,
      decode: () => encodeBinaryField(stored)!.length,
    };
  }
  if (format === 'json') {
    const value = valueOfSize(bytes, (v) => encodeJsonField(v)!.length);
    const stored = encodeJsonField(value)!;
    return {
      recordBytes: stored.length,
      encode: () => encodeJsonField(value)!.length,
      decode: () => {
        const r = decodeJsonField(stored);
        return r.ok ? 1 : 0;
      },
    };
  }
  const serde = new SchemaSerde(new InMemorySchemaRegistry());
  const writer = await serde.writer('codec-bench', 'value', format, {
    schema: SCHEMA_TEXT[format],
  });
  const value = valueOfSize(bytes, (v) => writer.serialize(v)!.length);
  const stored = writer.serialize(value)!;
  await serde.load(writer.schemaId);
  // a round trip first: a benchmark of a codec that does not decode its own output is worthless
  const back = serde.deserializeLoaded(stored, format) as { payload?: unknown };
  if (back.payload !== value.payload) throw new Error(`${format}: round trip changed the record`);
  return {
    recordBytes: stored.length,
    encode: () => writer.serialize(value)!.length,
    decode: () => (serde.deserializeLoaded(stored, format) === null ? 0 : 1),
  };
}

/** Runs `fn` in slices of `slice` calls until `ms` passed; answers calls and seconds. */
function timed(fn: () => number, ms: number): { ops: number; seconds: number; sink: number } {
  const slice = 200;
  let ops = 0;
  let sink = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    for (let i = 0; i < slice; i++) sink += fn();
    ops += slice;
    now = performance.now();
  }
  return { ops, seconds: (now - start) / 1000, sink };
}

export async function runCodecBench(
  options: { warmupMs: number; durationMs: number; recordBytes: number },
  log: (m: string) => void,
): Promise<CodecRow[]> {
  const rows: CodecRow[] = [];
  let sink = 0;
  for (const format of CODEC_FORMATS) {
    const subject = await subjectFor(format, options.recordBytes);
    for (const operation of ['encode', 'decode'] as const) {
      const fn = subject[operation];
      sink += timed(fn, options.warmupMs).sink;
      const r = timed(fn, options.durationMs);
      sink += r.sink;
      const recordsPerSec = r.ops / r.seconds;
      rows.push({
        format,
        operation,
        recordBytes: subject.recordBytes,
        ops: r.ops,
        seconds: r.seconds,
        recordsPerSec,
        mbPerSec: (recordsPerSec * subject.recordBytes) / 1e6,
        nsPerRecord: (r.seconds * 1e9) / r.ops,
      });
      log(`  codec ${format} ${operation}: ${Math.round(recordsPerSec)} records/s`);
    }
  }
  if (sink === -1) log('unreachable'); // keeps the results observable to the optimizer
  return rows;
}
