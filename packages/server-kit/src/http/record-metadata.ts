import { GatewayError } from '../errors/error-catalogue';

/**
 * The opt-in for record headers and timestamps on v2 (an extension: Confluent's v2 has neither).
 * Requests carry it in this header (v2 produce; a records fetch, where it overrides the
 * instance's `record.metadata` creation field): `headers`, `timestamp`, `headers,timestamp`, or
 * `none`. Without it v2 behaves exactly as Confluent's.
 */
export const RECORD_METADATA_HEADER = 'kafka-gateway-record-metadata';

export interface RecordMetadata {
  readonly headers: boolean;
  readonly timestamp: boolean;
}

export const NO_METADATA: RecordMetadata = Object.freeze({ headers: false, timestamp: false });

/**
 * `headers`, `timestamp`, both (comma-separated, any order, case and spacing) or `none`/empty.
 * Undefined for anything else (the caller answers with its own error).
 */
export function parseRecordMetadata(raw: string): RecordMetadata | undefined {
  let headers = false;
  let timestamp = false;
  for (const part of raw.split(',')) {
    const item = part.trim().toLowerCase();
    if (item === 'headers') headers = true;
    else if (item === 'timestamp') timestamp = true;
    else if (item !== '' && item !== 'none') return undefined;
  }
  return headers || timestamp ? { headers, timestamp } : NO_METADATA;
}

/** The request header's value: undefined when absent, 400 when it names something else. */
export function recordMetadataHeader(
  value: string | string[] | undefined,
): RecordMetadata | undefined {
  if (value === undefined) return undefined;
  const parsed = parseRecordMetadata(Array.isArray(value) ? value.join(',') : value);
  if (parsed === undefined) {
    throw new GatewayError(
      'invalid_request',
      'Kafka-Gateway-Record-Metadata must list headers and/or timestamp (or none)',
    );
  }
  return parsed;
}
