import { GatewayError } from '@kafka-gateway/server-kit';

/**
 * Confluent's default `api.v3.produce.batch.maximum.entries`: a batch is a small set of records
 * answered together (streaming `records` is the way to send many).
 */
export const BATCH_MAX_ENTRIES = 10;

// Confluent's rule for entry ids: a JSON string of 1–80 of [0-9a-zA-Z-_]
const ENTRY_ID = /^[0-9a-zA-Z_-]{1,80}$/;

export interface BatchEntry {
  readonly id: string;
  /** The entry without its id: a v3 produce record, parsed per record. */
  readonly record: Record<string, unknown>;
}

function invalid(message: string): GatewayError {
  return new GatewayError('produce_batch_invalid', `Produce batch exception: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The envelope of `POST .../records:batch` `{"entries": [{"id": "1", ...record}, ...]}`. What
 * Confluent refuses as a whole is 422/42208 (no body, no or empty entries, more than
 * BATCH_MAX_ENTRIES, an id that is missing, malformed or repeated); each record itself is
 * judged on its own and fails alone.
 */
export function parseProduceBatch(body: unknown): BatchEntry[] {
  if (body === undefined || body === null || (isObject(body) && Object.keys(body).length === 0))
    throw invalid('Request body is empty.');
  if (!isObject(body)) throw invalid('Request body must be a JSON object.');
  for (const f in body)
    if (f !== 'entries')
      throw new GatewayError('unrecognized_field', `Unrecognized field: ${f.slice(0, 100)}`);
  const entries = body['entries'];
  if (entries === undefined || entries === null) throw invalid('entries must not be null.');
  if (!Array.isArray(entries)) throw invalid('entries must be an array.');
  if (entries.length === 0) throw invalid('Batch is empty.');
  if (entries.length > BATCH_MAX_ENTRIES)
    throw invalid(`Too many entries in batch: at most ${BATCH_MAX_ENTRIES}.`);
  const seen = new Set<string>();
  return entries.map((e: unknown, i): BatchEntry => {
    if (!isObject(e)) throw invalid(`entries[${i}] must be a JSON object.`);
    const { id, ...record } = e;
    if (typeof id !== 'string' || !ENTRY_ID.test(id))
      throw invalid(`entries[${i}].id must be a string of 1 to 80 characters [0-9a-zA-Z-_].`);
    if (seen.has(id)) throw invalid('Entry ids are not distinct.');
    seen.add(id);
    return { id, record };
  });
}
