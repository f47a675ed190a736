import { GatewayError } from '@kafka-gateway/server-kit';

/** One record of a v2 produce request, as sent (key and value still in their embedded form). */
export interface ProduceRecordInput {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly partition?: number | null;
}

export interface ProduceRequest {
  readonly records: readonly ProduceRecordInput[];
  readonly keySchema: string | undefined;
  readonly keySchemaId: number | undefined;
  readonly valueSchema: string | undefined;
  readonly valueSchemaId: number | undefined;
}

const REQUEST_FIELDS = new Set([
  'records',
  'key_schema',
  'key_schema_id',
  'value_schema',
  'value_schema_id',
]);
const RECORD_FIELDS = new Set(['key', 'value', 'partition']);

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
export function parseProduceRequest(body: unknown, maxRecords: number): ProduceRequest {
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
    for (const field in r) if (!RECORD_FIELDS.has(field)) throw unrecognized(field);
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
  return {
    records: records as ProduceRecordInput[],
    keySchema,
    keySchemaId,
    valueSchema,
    valueSchemaId,
  };
}
