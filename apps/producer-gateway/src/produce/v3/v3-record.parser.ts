import {
  decodeBinaryField,
  type SubjectNameStrategy,
  V3_SCHEMA_TYPE_NAMES,
  type V3SchemaTypeName,
} from '@kafka-gateway/codec';
import { Errors, GatewayError } from '@kafka-gateway/server-kit';

/** The `type` of a v3 key or value (Confluent's EmbeddedFormat names). */
export type V3DataType = 'BINARY' | 'JSON' | 'STRING' | V3SchemaTypeName;

const DATA_TYPES: ReadonlySet<string> = new Set([
  'BINARY',
  'JSON',
  'STRING',
  ...V3_SCHEMA_TYPE_NAMES,
]);
const STRATEGIES: ReadonlySet<string> = new Set(['TOPIC_NAME', 'RECORD_NAME', 'TOPIC_RECORD_NAME']);

/** A key or value of a v3 record, as sent (data still in its JSON form). */
export interface V3Data {
  /** undefined: the schema comes from the registry (subject's latest, or id/version). */
  readonly type: V3DataType | undefined;
  readonly subject: string | undefined;
  readonly subjectNameStrategy: SubjectNameStrategy | undefined;
  readonly schemaId: number | undefined;
  readonly schemaVersion: number | undefined;
  readonly schema: string | undefined;
  readonly data: unknown;
}

export interface V3Header {
  readonly name: string;
  readonly value: Buffer | null;
}

/** One record of a v3 produce stream. */
export interface V3Record {
  readonly partitionId: number | undefined;
  readonly headers: readonly V3Header[];
  readonly key: V3Data | undefined;
  readonly value: V3Data | undefined;
  /** Epoch milliseconds; undefined = the time the gateway read the record. */
  readonly timestamp: number | undefined;
}

type Json = Record<string, unknown>;

const RECORD_FIELDS = new Set(['partition_id', 'headers', 'key', 'value', 'timestamp']);
const DATA_FIELDS = new Set([
  'type',
  'subject',
  'subject_name_strategy',
  'schema_id',
  'schema_version',
  'schema',
  'data',
]);
// ISO-8601 instant as Java's Instant.parse reads it (a zone offset is accepted too)
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(message: string): GatewayError {
  return new GatewayError('invalid_request', `Bad Request: ${message}`);
}

function checkFields(o: Json, allowed: ReadonlySet<string>, where: string): void {
  for (const f in o) {
    if (!allowed.has(f)) throw bad(`Unrecognized field "${f.slice(0, 100)}" in ${where}`);
  }
}

function optionalString(o: Json, field: string, where: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${where}.${field} must be a string`);
  return v;
}

function optionalInt(o: Json, field: string, where: string, min: number): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw bad(`${where}.${field} must be an integer >= ${min}`);
  return v;
}

function parseData(raw: unknown, where: 'key' | 'value'): V3Data | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw bad(`${where} must be an object`);
  checkFields(raw, DATA_FIELDS, where);
  const typeRaw = optionalString(raw, 'type', where)?.toUpperCase();
  if (typeRaw !== undefined && !DATA_TYPES.has(typeRaw))
    throw bad(`${where}.type must be one of ${[...DATA_TYPES].join(', ')}`);
  const type = typeRaw as V3DataType | undefined;
  const strategyRaw = optionalString(raw, 'subject_name_strategy', where)?.toUpperCase();
  if (strategyRaw !== undefined && !STRATEGIES.has(strategyRaw))
    throw bad(`${where}.subject_name_strategy must be one of ${[...STRATEGIES].join(', ')}`);
  const data: V3Data = {
    type,
    subject: optionalString(raw, 'subject', where),
    subjectNameStrategy: strategyRaw as SubjectNameStrategy | undefined,
    schemaId: optionalInt(raw, 'schema_id', where, 0),
    schemaVersion: optionalInt(raw, 'schema_version', where, 1),
    schema: optionalString(raw, 'schema', where),
    data: raw['data'],
  };
  // Confluent's exclusivity rules; BINARY, JSON and STRING simply ignore the schema fields.
  if (type === 'BINARY' || type === 'JSON' || type === 'STRING') return data;
  if (data.subject !== undefined && data.subjectNameStrategy !== undefined)
    throw bad(`${where}: subject and subject_name_strategy cannot both be set`);
  if (type !== undefined) {
    if (data.schemaId !== undefined || data.schemaVersion !== undefined)
      throw bad(`${where}: schema_id and schema_version cannot be used with type ${type}`);
    if (data.schema === undefined) throw bad(`${where}: type ${type} needs a schema`);
  } else {
    if (data.schema !== undefined)
      throw bad(`${where}: a raw schema needs a type (${V3_SCHEMA_TYPE_NAMES.join(', ')})`);
    if (data.schemaId !== undefined && data.schemaVersion !== undefined)
      throw bad(`${where}: schema_id and schema_version cannot both be set`);
  }
  return data;
}

function parseHeaders(raw: unknown): V3Header[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw bad('headers must be an array');
  return raw.map((h: unknown, i): V3Header => {
    if (!isObject(h)) throw bad(`headers[${i}] must be an object`);
    checkFields(h, HEADER_FIELDS, `headers[${i}]`);
    const name = h['name'];
    if (typeof name !== 'string') throw bad(`headers[${i}].name must be a string`);
    const value = h['value'];
    if (value !== undefined && value !== null && typeof value !== 'string')
      throw bad(`headers[${i}].value must be a base64 string or null`);
    try {
      return { name, value: decodeBinaryField(value, 'value') };
    } catch {
      throw bad(`headers[${i}].value is not a base64 string.`);
    }
  });
}
const HEADER_FIELDS = new Set(['name', 'value']);

function parseTimestamp(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || !ISO_INSTANT.test(raw))
    throw bad('timestamp must be an ISO-8601 instant such as 2021-02-05T19:14:42Z');
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw bad(`timestamp ${raw.slice(0, 40)} is not a valid instant`);
  return ms;
}

/**
 * Validates one parsed record object of a v3 produce stream. Problems are the record's own
 * (400 per record, or 40402 for a negative partition); the stream goes on after them.
 */
export function parseV3Record(raw: unknown): V3Record {
  if (!isObject(raw)) throw bad('a record must be a JSON object');
  checkFields(raw, RECORD_FIELDS, 'record');
  const p = raw['partition_id'];
  let partitionId: number | undefined;
  if (p !== undefined && p !== null) {
    if (typeof p !== 'number' || !Number.isSafeInteger(p))
      throw bad('partition_id must be an integer');
    if (p < 0) throw Errors.partitionNotFound();
    partitionId = p;
  }
  return {
    partitionId,
    headers: parseHeaders(raw['headers']),
    key: parseData(raw['key'], 'key'),
    value: parseData(raw['value'], 'value'),
    timestamp: parseTimestamp(raw['timestamp']),
  };
}
