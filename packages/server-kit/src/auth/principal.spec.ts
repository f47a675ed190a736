import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { toErrorResponse } from '../errors/error-response';
import { Errors } from '../errors/gateway-errors';
import { ANONYMOUS, principalOf, setPrincipal } from './principal';

test('a request without an authenticated principal is anonymous; a set one is returned', () => {
  const req = {} as IncomingMessage;
  assert.equal(principalOf(req), ANONYMOUS);
  const alice = { name: 'alice', groups: ['team-a'], mechanism: 'basic' as const };
  setPrincipal(req, alice);
  assert.equal(principalOf(req), alice);
  assert.equal(principalOf({} as IncomingMessage), ANONYMOUS);
});

test('auth refusals carry the Confluent statuses and codes', () => {
  const cases = [
    [Errors.unauthenticated(), 401, 40101],
    [Errors.forbidden('produce', 'topic orders'), 403, 40301],
    [Errors.rateLimited(2), 429, 429],
  ] as const;
  for (const [err, status, code] of cases) {
    const r = toErrorResponse(err);
    assert.equal(r.status, status);
    assert.equal(r.body.error_code, code);
  }
  assert.equal(toErrorResponse(Errors.rateLimited(2)).retryAfterSeconds, 2);
});
