import { CodecError } from '../errors';

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
  const len = value.length;
  if (len % 4 === 1 || !BASE64.test(value) || (value.includes('=') && len % 4 !== 0)) {
    throw new CodecError('invalid_base64', `${field}=${truncate(value)} is not a base64 string.`);
  }
  return Buffer.from(value, 'base64');
}

/** Encodes bytes for a `binary` response field; null stays null. */
export function encodeBinaryField(value: Buffer | null): string | null {
  return value === null ? null : value.toString('base64');
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
