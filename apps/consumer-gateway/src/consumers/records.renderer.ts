import { JsonBufferWriter, jsonFieldSize } from '@kafka-gateway/codec';
import type { RecordMetadataView, RecordView } from './consumer-instance';

/** Bytes of a record entry beyond its key and value (field names, topic, numbers). */
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * The body of a records fetch, written here rather than by JSON.stringify, straight into one
 * Buffer: a `json` record's key and value are its own JSON bytes, copied verbatim; a `binary`
 * field is base64 written into the buffer; Avro arrives as its JSON text; decoded values may
 * hold BigInts (Avro longs beyond 2^53), written with every digit. Same shape and field order as
 * before: `[{"topic","key","value","partition","offset"}]`; the opt-in `record.metadata` adds
 * `headers`, `timestamp` and `timestamp_type` after them, and (poison policy `skip`) an entry
 * that could not be decoded is `{"topic","partition","offset","error","key_raw","value_raw"}`.
 */
export function renderRecordsBuffer(records: readonly RecordView[]): Buffer {
  const w = new JsonBufferWriter(sizeHint(records));
  w.ascii('[');
  const topics = new TopicNames();
  for (let i = 0; i < records.length; i++) {
    if (i > 0) w.ascii(',');
    writeRecord(w, records[i]!, topics);
  }
  w.ascii(']');
  return w.finish();
}

/** `renderRecordsBuffer` as text. */
export function renderRecords(records: readonly RecordView[]): string {
  return renderRecordsBuffer(records).toString('utf8');
}

/** About the bytes the answer takes, so that its buffer is allocated once. */
function sizeHint(records: readonly RecordView[]): number {
  let n = 2;
  for (const r of records) {
    n += ENTRY_OVERHEAD_BYTES + r.topic.length;
    if ('error' in r) n += (r.keyRaw?.length ?? 0) * 2 + (r.valueRaw?.length ?? 0) * 2;
    else n += jsonFieldSize(r.key) + jsonFieldSize(r.value);
  }
  return n;
}

/** JSON of the topic names met in one answer (records of one fetch share a few topics). */
export class TopicNames {
  private last: string | undefined;
  private lastJson = '';

  json(topic: string): string {
    if (topic !== this.last) {
      this.last = topic;
      this.lastJson = JSON.stringify(topic);
    }
    return this.lastJson;
  }
}

/** One entry of a records fetch (also what a stream of records writes per record). */
export function writeRecord(w: JsonBufferWriter, r: RecordView, topics: TopicNames): void {
  w.ascii('{"topic":');
  w.text(topics.json(r.topic));
  if ('error' in r) {
    w.ascii(`,"partition":${r.partition},"offset":${r.offset},"error":{"error_code":`);
    w.ascii(String(r.error.error_code));
    w.ascii(',"message":');
    w.text(JSON.stringify(r.error.message));
    w.ascii('},"key_raw":');
    base64(w, r.keyRaw);
    w.ascii(',"value_raw":');
    base64(w, r.valueRaw);
  } else {
    w.ascii(',"key":');
    w.field(r.key);
    w.ascii(',"value":');
    w.field(r.value);
    w.ascii(`,"partition":${r.partition},"offset":${r.offset}`);
  }
  writeMetadata(w, r);
  w.ascii('}');
}

function base64(w: JsonBufferWriter, b: Buffer | null): void {
  if (b === null) w.ascii('null');
  else w.base64String(b);
}

function writeMetadata(w: JsonBufferWriter, r: RecordMetadataView): void {
  if (r.headers !== undefined) {
    w.ascii(',"headers":[');
    let first = true;
    for (const h of r.headers) {
      w.ascii(first ? '{"key":' : ',{"key":');
      first = false;
      w.text(JSON.stringify(h.key));
      w.ascii(',"value":');
      base64(w, h.value);
      w.ascii('}');
    }
    w.ascii(']');
  }
  if (r.timestamp !== undefined) {
    w.ascii(`,"timestamp":${r.timestamp},"timestamp_type":`);
    w.text(JSON.stringify(r.timestampType ?? 'CreateTime'));
  }
}
