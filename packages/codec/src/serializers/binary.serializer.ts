import { CodecError } from '../errors';
import { Base64Field } from '../json-buffer';

// Standard base64 with optional padding; length checked separately. Confluent accepts only the
// standard alphabet on input (MIME decoding would silently skip junk characters).
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a `binary` embedded key or value. null/undefined stay null (a null key or a tombstone);
 * anything else must be a strict base64 string.
 */
export function decodeBinaryField(value: unknown, field: 'key' | 'value'): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') {
    throw new CodecError('invalid_payload', `${field} must be a base64 string or null`);
  }
  // Hot path: decode first, then prove the input was strict base64 without a regex pass. Node's
  // decoder skips characters outside the alphabet and stops at '=', so any such character makes
  // the output shorter than the length implied by the input; only the URL-safe '-' and '_' (which
  // Node accepts) need their own check.
  const len = value.length;
  const pad = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(value, 'base64');
  if (
    len % 4 === 1 ||
    (pad > 0 && len % 4 !== 0) ||
    bytes.length !== Math.floor((len * 3) / 4) - pad ||
    value.includes('-') ||
    value.includes('_')
  ) {
    throw new CodecError('invalid_base64', `${field}=${truncate(value)} is not a base64 string.`);
  }
  return bytes;
}

/** The definition `decodeBinaryField` implements (kept for its property test). */
export function isStrictBase64(value: string): boolean {
  const len = value.length;
  return len % 4 !== 1 && BASE64.test(value) && (!value.includes('=') || len % 4 === 0);
}

/** Encodes bytes for a `binary` response field; null stays null. */
export function encodeBinaryField(value: Buffer | null): string | null {
  return value === null ? null : value.toString('base64');
}

/**
 * A `binary` response field written by `JsonBufferWriter` (base64 straight into the answer, no
 * intermediate JSON string); null stays null. The same text as `encodeBinaryField`.
 */
export function binaryResponseField(value: Buffer | null): Base64Field | null {
  return value === null ? null : new Base64Field(value);
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
