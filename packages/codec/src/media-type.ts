import { CodecError } from './errors';
import { type EmbeddedFormat, isEmbeddedFormat } from './embedded-format';

/**
 * One catalogue of the media types the gateways speak (Confluent REST Proxy v2, see
 * docs/api-compatibility.md). Responses always use Confluent's exact types; requests are accepted
 * a little more leniently, the way Karapace does:
 *
 * - Content-Type `application/vnd.kafka[.<format>][.v2]+json`, `application/json`,
 *   `application/vnd.kafka+json` and `application/octet-stream`; a missing embedded format means
 *   binary. Confluent itself answers 415 to all but the exact v2 types.
 * - Accept `application/json` on metadata resources (Confluent answers 406).
 *
 * The v1 types (`application/vnd.kafka[.<format>].v1+json`) are refused, as Content-Type (415)
 * and as Accept (406 when nothing else is acceptable), with a message naming the v2 type: the v1
 * API's semantics differ (v1 consumers, the simple consumer), so silently serving v1 clients with
 * v2 behaviour would mislead them.
 */
export const V2_JSON = 'application/vnd.kafka.v2+json';
export const PLAIN_JSON = 'application/json';

export function v2MediaType(format: EmbeddedFormat): string {
  return `application/vnd.kafka.${format}.v2+json`;
}

export interface MediaType {
  readonly type: string;
  readonly subtype: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses one media type (`type/subtype; k=v`); lower-cases names; returns undefined if malformed. */
export function parseMediaType(input: string): MediaType | undefined {
  const [essence = '', ...rawParams] = input.split(';');
  const slash = essence.indexOf('/');
  if (slash <= 0) return undefined;
  const type = essence.slice(0, slash).trim().toLowerCase();
  const subtype = essence
    .slice(slash + 1)
    .trim()
    .toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  const params: Record<string, string> = {};
  for (const raw of rawParams) {
    const eq = raw.indexOf('=');
    if (eq <= 0) continue;
    const name = raw.slice(0, eq).trim().toLowerCase();
    let value = raw.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    params[name] = value;
  }
  return { type, subtype, params };
}

// RFC 7230 token characters, plus '*' for wildcards.
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

// vnd.kafka[.<format>][.v1|.v2]+json
const VND_KAFKA = /^vnd\.kafka(?:\.([a-z]+))?(?:\.(v[12]))?\+json$/;

/** The v2 type a v1 media type (`vnd.kafka[.<format>].v1+json`) corresponds to. */
function v2Equivalent(format: string | undefined): string {
  return format !== undefined && isEmbeddedFormat(format) ? v2MediaType(format) : V2_JSON;
}

/** The message of every refusal of a v1 media type: says so and names the v2 type. */
export function v1NotSupportedMessage(v1Type: string, v2Type: string): string {
  return `The v1 API is not supported: ${v1Type} is a v1 media type; use ${v2Type} (the v2 API) instead.`;
}

/** What a request's Content-Type says about the body of a v2 call. */
export interface RequestContentType {
  /** The embedded format named by the type; undefined when it names none (`vnd.kafka.v2+json`, `json`). */
  readonly format: EmbeddedFormat | undefined;
}

/**
 * Classifies a v2 request Content-Type. Throws `unsupported_media_type` for anything that is not a
 * Kafka REST or JSON type, for an unknown embedded format, and for a charset other than UTF-8.
 */
export function parseRequestContentType(header: string | undefined): RequestContentType {
  if (header === undefined || header.trim() === '') return { format: undefined };
  const mt = parseMediaType(header);
  if (mt === undefined) throw unsupported();
  const charset = mt.params['charset'];
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') throw unsupported();
  if (mt.type === 'application') {
    if (mt.subtype === 'json' || mt.subtype === 'octet-stream') return { format: undefined };
    const m = VND_KAFKA.exec(mt.subtype);
    if (m !== null) {
      const name = m[1];
      if (m[2] === 'v1') {
        throw new CodecError(
          'unsupported_media_type',
          v1NotSupportedMessage(`application/${mt.subtype}`, v2Equivalent(name)),
        );
      }
      if (name === undefined) return { format: undefined };
      if (isEmbeddedFormat(name)) return { format: name };
    }
  }
  throw unsupported();
}

/**
 * The embedded format of a produce request: the Content-Type's format, binary when it names none.
 */
export function produceFormat(header: string | undefined): EmbeddedFormat {
  return parseRequestContentType(header).format ?? 'binary';
}

interface AcceptRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
  /** More specific ranges win over wildcards when several match the same offer. */
  readonly specificity: number;
}

function parseAccept(header: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  for (const part of header.split(',')) {
    if (part.trim() === '') continue;
    const mt = parseMediaType(part);
    if (mt === undefined) continue;
    const qParam = mt.params['q'];
    let q = qParam === undefined ? 1 : Number(qParam);
    if (!Number.isFinite(q) || q < 0) q = 0;
    if (q > 1) q = 1;
    const specificity = mt.type === '*' ? 0 : mt.subtype === '*' ? 1 : 2;
    ranges.push({ type: mt.type, subtype: mt.subtype, q, specificity });
  }
  return ranges;
}

/** One type a resource can produce, with the server's own preference (JAX-RS `qs`). */
export interface Offer {
  readonly mediaType: string;
  readonly qs: number;
}

/**
 * Standard q × qs negotiation over a resource's offers. A missing or empty Accept selects the
 * highest-qs offer. Returns undefined when nothing is acceptable (the caller answers 406).
 */
export function negotiate(
  accept: string | undefined,
  offers: readonly Offer[],
): string | undefined {
  if (offers.length === 0) return undefined;
  if (accept === undefined || accept.trim() === '')
    return best(offers.map((o) => [o, o.qs] as const));
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return best(offers.map((o) => [o, o.qs] as const));
  const scored: (readonly [Offer, number])[] = [];
  for (const offer of offers) {
    const slash = offer.mediaType.indexOf('/');
    const type = offer.mediaType.slice(0, slash);
    const subtype = offer.mediaType.slice(slash + 1);
    let match: AcceptRange | undefined;
    for (const r of ranges) {
      const hit =
        (r.type === '*' || r.type === type) && (r.subtype === '*' || r.subtype === subtype);
      if (hit && (match === undefined || r.specificity > match.specificity)) match = r;
    }
    if (match !== undefined && match.q > 0) scored.push([offer, match.q * offer.qs]);
  }
  return best(scored);
}

function best(scored: readonly (readonly [Offer, number])[]): string | undefined {
  let winner: readonly [Offer, number] | undefined;
  for (const s of scored) if (winner === undefined || s[1] > winner[1]) winner = s;
  return winner?.[0].mediaType;
}

/**
 * Offers of every v2 resource that answers with plain (non-embedded) JSON: Confluent's type first,
 * the embedded types at a low weight as Confluent allows on consumer resources, and plain JSON as
 * our documented leniency.
 */
export const V2_METADATA_OFFERS: readonly Offer[] = Object.freeze([
  { mediaType: V2_JSON, qs: 1 },
  { mediaType: PLAIN_JSON, qs: 0.5 },
  { mediaType: v2MediaType('binary'), qs: 0.1 },
  { mediaType: v2MediaType('json'), qs: 0.1 },
  { mediaType: v2MediaType('avro'), qs: 0.1 },
  { mediaType: v2MediaType('jsonschema'), qs: 0.1 },
  { mediaType: v2MediaType('protobuf'), qs: 0.1 },
]);

/** Negotiates a v2 JSON response; throws `not_acceptable` when nothing matches. */
export function negotiateV2Json(accept: string | undefined): string {
  const chosen = negotiate(accept, V2_METADATA_OFFERS);
  if (chosen === undefined) throw notAcceptable(accept);
  return chosen;
}

/** 406; when the Accept asked for a v1 type, the message says v1 is not supported. */
function notAcceptable(accept: string | undefined): CodecError {
  for (const range of parseAccept(accept ?? '')) {
    const m = range.type === 'application' ? VND_KAFKA.exec(range.subtype) : null;
    if (m !== null && m[2] === 'v1') {
      return new CodecError(
        'not_acceptable',
        v1NotSupportedMessage(`application/${range.subtype}`, v2Equivalent(m[1])),
      );
    }
  }
  return new CodecError('not_acceptable', 'HTTP 406 Not Acceptable');
}

function unsupported(): CodecError {
  return new CodecError('unsupported_media_type', 'HTTP 415 Unsupported Media Type');
}

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
  if (chosen === undefined) throw notAcceptable(accept);
  if (chosen === V2_JSON) return { format: 'binary', mediaType: V2_JSON };
  const format = /^application\/vnd\.kafka\.([a-z]+)\.v2\+json$/.exec(
    chosen,
  )?.[1] as EmbeddedFormat;
  return { format, mediaType: chosen };
}
