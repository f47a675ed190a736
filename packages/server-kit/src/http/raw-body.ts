import type { IncomingMessage } from 'node:http';

/** The request header of idempotent produce (IETF draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

const rawBodies = new WeakMap<IncomingMessage, Buffer>();

/**
 * Keeps the body bytes of a request that carries an Idempotency-Key (its fingerprint is a hash
 * of them); every other request keeps nothing, so the parser's hot path does not change.
 */
export function keepRawBodyIfKeyed(req: IncomingMessage, body: Buffer): void {
  if (req.headers[IDEMPOTENCY_KEY_HEADER] !== undefined) rawBodies.set(req, body);
}

/** The bytes JSON body parsing read, for a request with an Idempotency-Key; else undefined. */
export function rawBodyOf(req: IncomingMessage): Buffer | undefined {
  return rawBodies.get(req);
}
