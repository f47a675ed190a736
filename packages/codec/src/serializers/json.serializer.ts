import { isUtf8 } from 'node:buffer';
import { JsonText, parseJsonExactly, stringifyExactJson } from '../exact-json';
import { JsonBytes } from '../json-buffer';

/**
 * The `json` embedded format: any JSON value, stored as its UTF-8 JSON text. null/undefined stay
 * null (null key, tombstone). The value was parsed from the request body, so it is valid JSON;
 * integers beyond 2^53 arrive as BigInt (exact parse) and are written with every digit.
 */
export function encodeJsonField(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  return Buffer.from(stringifyExactJson(value), 'utf8');
}

/**
 * Parses a `json` record field; `ok: false` means the bytes are not JSON. Integers beyond 2^53
 * come back as BigInt.
 */
export function decodeJsonField(
  bytes: Buffer | null,
): { ok: true; value: unknown } | { ok: false } {
  if (bytes === null) return { ok: true, value: null };
  try {
    return { ok: true, value: parseJsonExactly(bytes) };
  } catch {
    return { ok: false };
  }
}

/**
 * A `json` record field for a consumer's answer (`JsonBufferWriter`): the record's own bytes,
 * checked to be JSON, are copied into the answer as they are (every digit kept, and cheaper than
 * parsing them into doubles and writing them again), with no decoding to a string and back. Bytes that are not valid UTF-8 (which `toString` shows with U+FFFD) keep the text form,
 * so the answer is exactly what the text form writes. `ok: false` means the bytes are not JSON.
 */
export function jsonFieldBytes(
  bytes: Buffer | null,
): { ok: true; value: JsonBytes | JsonText | null } | { ok: false } {
  if (bytes === null) return { ok: true, value: null };
  const text = bytes.toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    return { ok: false };
  }
  return { ok: true, value: isUtf8(bytes) ? new JsonBytes(bytes) : new JsonText(text) };
}
