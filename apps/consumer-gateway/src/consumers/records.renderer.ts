import { renderJsonField } from '@kafka-gateway/codec';
import type { RecordMetadataView, RecordView } from './consumer-instance';

/**
 * The body of a records fetch, written here rather than by JSON.stringify: a `json` record's
 * key and value are its own JSON text, embedded verbatim, and decoded schema values may hold
 * BigInts (Avro longs beyond 2^53), written with every digit. Same shape and field order as
 * before: `[{"topic","key","value","partition","offset"}]`; the opt-in `record.metadata` adds
 * `headers`, `timestamp` and `timestamp_type` after them, and (poison policy `skip`) an entry
 * that could not be decoded is `{"topic","partition","offset","error","key_raw","value_raw"}`.
 */
export function renderRecords(records: readonly RecordView[]): string {
  const parts = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) parts[i] = renderRecord(records[i]!);
  return `[${parts.join(',')}]`;
}

/** One entry of a records fetch (also what a stream of records writes per record). */
export function renderRecord(r: RecordView): string {
  if ('error' in r) {
    return (
      `{"topic":${JSON.stringify(r.topic)},"partition":${r.partition},"offset":${r.offset},` +
      `"error":{"error_code":${r.error.error_code},"message":${JSON.stringify(r.error.message)}},` +
      `"key_raw":${base64(r.keyRaw)},"value_raw":${base64(r.valueRaw)}${renderMetadata(r)}}`
    );
  }
  return (
    `{"topic":${JSON.stringify(r.topic)},"key":${renderJsonField(r.key)},` +
    `"value":${renderJsonField(r.value)},"partition":${r.partition},"offset":${r.offset}` +
    `${renderMetadata(r)}}`
  );
}

function base64(b: Buffer | null): string {
  return b === null ? 'null' : `"${b.toString('base64')}"`;
}

function renderMetadata(r: RecordMetadataView): string {
  let out = '';
  if (r.headers !== undefined) {
    const hs = r.headers.map((h) => `{"key":${JSON.stringify(h.key)},"value":${base64(h.value)}}`);
    out += `,"headers":[${hs.join(',')}]`;
  }
  if (r.timestamp !== undefined) {
    out += `,"timestamp":${r.timestamp},"timestamp_type":${JSON.stringify(r.timestampType ?? 'CreateTime')}`;
  }
  return out;
}
