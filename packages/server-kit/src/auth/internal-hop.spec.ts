import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../config/secret';
import { decodePrincipal, encodePrincipal, matchesInternalToken } from './internal-hop';

test('a principal crosses the hop without its credential', () => {
  const wire = encodePrincipal({
    name: 'team-a-svc',
    groups: ['team-a', 'ops'],
    mechanism: 'jwt',
    credential: { kind: 'bearer', token: Secret.of('the.secret.token'), expiresAtMs: 42_000 },
  });
  assert.ok(!Buffer.from(wire, 'base64url').toString().includes('secret'));
  const back = decodePrincipal(wire);
  assert.deepEqual(back?.principal, {
    name: 'team-a-svc',
    groups: ['team-a', 'ops'],
    mechanism: 'jwt',
  });
  assert.equal(back?.credentialExpiresAtMs, 42_000);
});

test('anything but a well-formed principal is refused', () => {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  for (const bad of [
    undefined,
    ['a', 'b'],
    'not base64 json',
    enc(null),
    enc({ n: '', g: [], m: 'basic' }),
    enc({ n: 'x', g: [1], m: 'basic' }),
    enc({ n: 'x', g: [], m: 'root' }),
    enc({ n: 'x', g: [], m: 'jwt', x: 'soon' }),
    'A'.repeat(9000),
  ]) {
    assert.equal(decodePrincipal(bad), undefined, String(bad).slice(0, 40));
  }
});

test('the internal token is compared exactly, and never matches when unset', () => {
  assert.ok(matchesInternalToken('s3cret-token-0123', 's3cret-token-0123'));
  assert.ok(!matchesInternalToken('s3cret-token-0124', 's3cret-token-0123'));
  assert.ok(!matchesInternalToken('short', 's3cret-token-0123'));
  assert.ok(!matchesInternalToken(['s3cret-token-0123'], 's3cret-token-0123'));
  assert.ok(!matchesInternalToken('', undefined));
  assert.ok(!matchesInternalToken('', ''));
});
