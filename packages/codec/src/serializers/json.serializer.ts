/**
 * The `json` embedded format: any JSON value, stored as its UTF-8 JSON text. null/undefined stay
 * null (null key, tombstone). The value was parsed from the request body, so it is valid JSON.
 */
export function encodeJsonField(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Parses a `json` record field for a consumer; undefined means the bytes are not JSON. */
export function decodeJsonField(
  bytes: Buffer | null,
): { ok: true; value: unknown } | { ok: false } {
  if (bytes === null) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}
