import { CodecError } from './errors';
import { type EmbeddedFormat } from './embedded-format';
import { negotiate, type Offer, V2_JSON, v2MediaType } from './media-type';

/**
 * Offers of `GET /consumers/{g}/instances/{i}/records` (Confluent's five handlers): the binary
 * handler also answers `application/vnd.kafka.v2+json` (with that type) and `*` / a missing
 * Accept (with the binary type).
 */
const RECORDS_OFFERS: readonly Offer[] = Object.freeze([
  { mediaType: v2MediaType('binary'), qs: 1 },
  { mediaType: V2_JSON, qs: 0.9 },
  { mediaType: v2MediaType('json'), qs: 1 },
  { mediaType: v2MediaType('avro'), qs: 1 },
  { mediaType: v2MediaType('jsonschema'), qs: 1 },
  { mediaType: v2MediaType('protobuf'), qs: 1 },
]);

export interface RecordsResponseType {
  readonly format: EmbeddedFormat;
  /** The Content-Type of the answer. */
  readonly mediaType: string;
}

/**
 * Negotiates a records fetch. A missing or wildcard Accept selects binary, as in Confluent;
 * nothing acceptable → `not_acceptable`. The caller compares `format` with the instance's own
 * format (mismatch → 406/40601).
 */
export function negotiateRecordsType(accept: string | undefined): RecordsResponseType {
  // Wildcards prefer binary (highest qs); equal scores keep the catalogue order.
  const chosen = negotiate(accept, RECORDS_OFFERS);
  if (chosen === undefined) throw new CodecError('not_acceptable', 'HTTP 406 Not Acceptable');
  if (chosen === V2_JSON) return { format: 'binary', mediaType: V2_JSON };
  const format = /^application\/vnd\.kafka\.([a-z]+)\.v2\+json$/.exec(
    chosen,
  )?.[1] as EmbeddedFormat;
  return { format, mediaType: chosen };
}
