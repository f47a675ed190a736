import { renderJsonField } from '@kafka-gateway/codec';
import type { RecordView } from './consumer-instance';

/**
 * The body of a records fetch, written here rather than by JSON.stringify: a `json` record's
 * key and value are its own JSON text, embedded verbatim, and decoded schema values may hold
 * BigInts (Avro longs beyond 2^53), written with every digit. Same shape and field order as
 * before: `[{"topic","key","value","partition","offset"}]`.
 */
export function renderRecords(records: readonly RecordView[]): string {
  const parts = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    parts[i] =
      `{"topic":${JSON.stringify(r.topic)},"key":${renderJsonField(r.key)},` +
      `"value":${renderJsonField(r.value)},"partition":${r.partition},"offset":${r.offset}}`;
  }
  return `[${parts.join(',')}]`;
}
