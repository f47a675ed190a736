import { decodeBinaryField } from '@kafka-gateway/codec';
import { GatewayError, type RecordMetadata } from '@kafka-gateway/server-kit';

/** One record of a v2 produce request, as sent (key and value still in their embedded form). */
export interface ProduceRecordInput {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly partition?: number | null;
}

/** A record's headers and timestamp, present only under the Kafka-Gateway-Record-Metadata opt-in. */
export interface RecordExtras {
  /** Header values by name (a name may repeat), as the producer takes them. */
  readonly headers: Readonly<Record<string, Buffer[]>> | undefined;
  /** CreateTime, epoch milliseconds as a decimal string. */
  readonly timestamp: string | undefined;
}

export interface ProduceRequest {
  readonly records: readonly ProduceRecordInput[];
  readonly keySchema: string | undefined;
  readonly keySchemaId: number | undefined;
  readonly valueSchema: string | undefined;
  readonly valueSchemaId: number | undefined;
  /** Per record (same order), when the request opted in to headers or timestamps. */
  readonly extras?: readonly RecordExtras[];
}

const REQUEST_FIELDS = new Set([
  'records',
  'key_schema',
  'key_schema_id',
  'value_schema',
  'value_schema_id',
]);
const RECORD_FIELDS = new Set(['key', 'value', 'partition']);
const WITH_HEADERS = new Set([...RECORD_FIELDS, 'headers']);
const WITH_TIMESTAMP = new Set([...RECORD_FIELDS, 'timestamp']);
const WITH_BOTH = new Set([...RECORD_FIELDS, 'headers', 'timestamp']);
const EMPTY = Buffer.alloc(0);
/** What `new Date(ms)` can represent: larger timestamps are refused, not wrapped. */
const MAX_TIMESTAMP_MS = 8_640_000_000_000_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unrecognized(field: string): GatewayError {
  return new GatewayError('unrecognized_field', `Unrecognized field: ${field.slice(0, 100)}`);
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new GatewayError('invalid_request', `${field} must be a string`);
  return v;
}

/** A schema id as Jackson maps it to Confluent's `Integer`: a JSON integer or a numeric string. */
const NUMERIC_ID = /^\d{1,10}$/;

function optionalId(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  // Confluent's JSON mapping coerces "75" to 75, and clients send ids as strings that way.
  const n = typeof v === 'string' && NUMERIC_ID.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > 2_147_483_647) {
    throw new GatewayError('invalid_request', `${field} must be a non-negative integer`);
  }
  return n;
}

/**
 * Validates the envelope of a v2 produce body without copying records: Confluent's rules
 * (unknown field → 422 `Unrecognized field: x`, missing or empty records → 422, wrong JSON type
 * → 400) plus our own cap on records per request.
 */
export function parseProduceRequest(
  body: unknown,
  maxRecords: number,
  metadata?: RecordMetadata,
): ProduceRequest {
  const recordFields =
    metadata === undefined || (!metadata.headers && !metadata.timestamp)
      ? RECORD_FIELDS
      : metadata.headers && metadata.timestamp
        ? WITH_BOTH
        : metadata.headers
          ? WITH_HEADERS
          : WITH_TIMESTAMP;
  if (body === undefined || body === null) {
    throw new GatewayError(
      'validation_failed',
      'Request body is empty; expected {"records": [...]}',
    );
  }
  if (!isObject(body))
    throw new GatewayError('invalid_request', 'Request body must be a JSON object');
  for (const field in body) if (!REQUEST_FIELDS.has(field)) throw unrecognized(field);
  const records = body['records'];
  if (records === undefined || records === null)
    throw new GatewayError('validation_failed', 'records must not be empty');
  if (!Array.isArray(records))
    throw new GatewayError('invalid_request', 'records must be an array');
  if (records.length === 0)
    throw new GatewayError('validation_failed', 'records must not be empty');
  if (records.length > maxRecords) {
    throw new GatewayError(
      'validation_failed',
      `Too many records: ${records.length} (at most ${maxRecords} per request)`,
    );
  }
  for (let i = 0; i < records.length; i++) {
    const r: unknown = records[i];
    if (!isObject(r))
      throw new GatewayError('invalid_request', `records[${i}] must be a JSON object`);
    for (const field in r) if (!recordFields.has(field)) throw unrecognized(field);
    const p = r['partition'];
    if (
      p !== undefined &&
      p !== null &&
      (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0)
    ) {
      throw new GatewayError(
        'invalid_request',
        `records[${i}].partition must be a non-negative integer`,
      );
    }
  }
  const keySchema = optionalString(body, 'key_schema');
  const keySchemaId = optionalId(body, 'key_schema_id');
  const valueSchema = optionalString(body, 'value_schema');
  const valueSchemaId = optionalId(body, 'value_schema_id');
  if (keySchema !== undefined && keySchemaId !== undefined) {
    throw new GatewayError(
      'invalid_request',
      'Unsupported argument: key_schema and key_schema_id are mutually exclusive',
    );
  }
  if (valueSchema !== undefined && valueSchemaId !== undefined) {
    throw new GatewayError(
      'invalid_request',
      'Unsupported argument: value_schema and value_schema_id are mutually exclusive',
    );
  }
  const extras =
    recordFields === RECORD_FIELDS
      ? undefined
      : (records as Record<string, unknown>[]).map((r, i) => ({
          headers: parseHeaders(r['headers'], i),
          timestamp: parseTimestamp(r['timestamp'], i),
        }));
  return {
    ...(extras === undefined ? {} : { extras }),
    records: records as ProduceRecordInput[],
    keySchema,
    keySchemaId,
    valueSchema,
    valueSchemaId,
  };
}

/**
 * `headers`: `[{"key": "name", "value": base64 | null}]`, the shape a records fetch returns them
 * in. A null value is sent as an empty one (as v3 produce does).
 */
function parseHeaders(raw: unknown, i: number): Record<string, Buffer[]> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw))
    throw new GatewayError('invalid_request', `records[${i}].headers must be an array`);
  const grouped: Record<string, Buffer[]> = {};
  raw.forEach((h: unknown, j) => {
    const where = `records[${i}].headers[${j}]`;
    if (!isObject(h)) throw new GatewayError('invalid_request', `${where} must be an object`);
    for (const field in h) if (field !== 'key' && field !== 'value') throw unrecognized(field);
    const key = h['key'];
    if (typeof key !== 'string')
      throw new GatewayError('invalid_request', `${where}.key must be a string`);
    const value = h['value'];
    if (value !== undefined && value !== null && typeof value !== 'string')
      throw new GatewayError('invalid_request', `${where}.value must be a base64 string or null`);
    let bytes: Buffer | null;
    try {
      bytes = decodeBinaryField(value, 'value');
    } catch {
      throw new GatewayError('invalid_request', `${where}.value is not a base64 string.`);
    }
    (grouped[key] ??= []).push(bytes ?? EMPTY);
  });
  return grouped;
}

/** `timestamp`: epoch milliseconds (what a records fetch returns) or an ISO-8601 instant. */
function parseTimestamp(raw: unknown, i: number): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIMESTAMP_MS) {
    throw new GatewayError(
      'invalid_request',
      `records[${i}].timestamp must be epoch milliseconds or an ISO-8601 instant`,
    );
  }
  return String(ms);
}
