import { IDEMPOTENCY_KEY_HEADER, principalOf, rawBodyOf } from '@kafka-gateway/server-kit';
import type { Request } from 'express';
import type { KeyedRequest } from './idempotency.service';

/** Set on an answer that is the stored answer of an earlier request with the same key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * The request as IdempotencyService sees it, or undefined when it carries no Idempotency-Key:
 * then idempotency costs one header lookup and nothing else (no claim, no hash, no wrapper).
 */
export function keyedRequestOf(req: Request): KeyedRequest | undefined {
  const key = req.headers[IDEMPOTENCY_KEY_HEADER];
  if (key === undefined) return undefined;
  return {
    key: Array.isArray(key) ? key.join(', ') : key,
    principal: principalOf(req).name,
    topic: String(req.params['topic'] ?? ''),
    method: req.method,
    path: req.path,
    contentType: req.headers['content-type'],
    body: rawBodyOf(req),
  };
}
