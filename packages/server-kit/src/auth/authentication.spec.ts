import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import type { AuthConfig, AuthMethodName } from '../config/auth.config';
import { Authentication } from './authentication';
import { type Authenticator, type AuthOutcome, refused } from './authenticator';
import { encodePrincipal, INTERNAL_TOKEN_HEADER, PRINCIPAL_HEADER } from './internal-hop';
import { certificateName } from './mtls.authenticator';
import { ANONYMOUS } from './principal';

const TOKEN = 'internal-token-0123456789';
const config = (methods: AuthMethodName[]): AuthConfig => ({
  methods,
  realm: 'kafka-gateway',
  maxHeaderBytes: 1024,
  basic: undefined,
  jwt: undefined,
  mtls: undefined,
});
const request = (headers: Record<string, string>): IncomingMessage =>
  ({ headers }) as unknown as IncomingMessage;

/** A fake method: takes its scheme; accepts the credentials `good`. */
function fake(method: 'basic' | 'jwt', scheme: string, calls: string[]): Authenticator {
  return {
    method,
    carries: (_req, a) => a?.scheme === scheme,
    authenticate: async (_req, a): Promise<AuthOutcome> => {
      calls.push(method);
      return a?.credentials === 'good'
        ? { ok: true, principal: { name: `${method}-user`, groups: [], mechanism: method } }
        : refused('bad_credentials');
    },
  };
}

function setup(methods: AuthMethodName[], token: string | undefined = TOKEN) {
  const calls: string[] = [];
  const all = { basic: fake('basic', 'basic', calls), jwt: fake('jwt', 'bearer', calls) };
  const authenticators = methods.flatMap((m) => (m === 'basic' || m === 'jwt' ? [all[m]] : []));
  return { auth: new Authentication(config(methods), authenticators, token), calls };
}

test('the challenge names each configured HTTP scheme', () => {
  assert.equal(
    setup(['basic', 'jwt']).auth.challenge,
    'Basic realm="kafka-gateway", Bearer realm="kafka-gateway"',
  );
  assert.equal(setup(['jwt', 'none']).auth.challenge, 'Bearer realm="kafka-gateway"');
  assert.equal(setup(['none']).auth.open, true);
});

test('the method whose credentials the request carries decides; refused credentials never become anonymous', async () => {
  const { auth, calls } = setup(['basic', 'jwt', 'none']);
  const ok = await auth.authenticate(request({ authorization: 'Bearer good' }));
  assert.ok(ok.ok && ok.principal.name === 'jwt-user' && ok.method === 'jwt');
  assert.deepEqual(await auth.authenticate(request({ authorization: 'Basic bad' })), {
    ok: false,
    reason: 'bad_credentials',
    method: 'basic',
  });
  assert.deepEqual(calls, ['jwt', 'basic']);
  const anon = await auth.authenticate(request({}));
  assert.ok(anon.ok && anon.principal === ANONYMOUS);
});

test('without none, no credentials is a refusal; unknown schemes and oversized headers too', async () => {
  const { auth, calls } = setup(['basic', 'jwt']);
  const reasons = [];
  for (const headers of <Record<string, string>[]>[
    {},
    { authorization: 'Digest good' },
    { authorization: 'Basic' },
    { authorization: `Bearer ${'a'.repeat(2000)}` },
  ]) {
    const v = await auth.authenticate(request(headers));
    assert.equal(v.ok, false);
    if (!v.ok) reasons.push(v.reason);
  }
  assert.deepEqual(reasons, ['missing', 'unsupported_scheme', 'malformed', 'oversized']);
  assert.deepEqual(calls, [], 'no authenticator saw any of them');
  const noneFallback = setup(['basic', 'none']).auth;
  const v = await noneFallback.authenticate(request({ authorization: 'Bearer good' }));
  assert.deepEqual(
    v,
    { ok: false, reason: 'unsupported_scheme', method: 'none' },
    'never anonymous',
  );
});

test('a forwarded principal is believed only with the internal token; a client copy is stripped', async () => {
  const { auth, calls } = setup(['basic']);
  const principal = encodePrincipal({ name: 'team-a-svc', groups: ['team-a'], mechanism: 'basic' });
  const basicGood = 'Basic ' + Buffer.from('team-a-svc:pw').toString('base64');
  const hop = await auth.authenticate(
    request({
      [PRINCIPAL_HEADER]: principal,
      [INTERNAL_TOKEN_HEADER]: TOKEN,
      authorization: basicGood,
    }),
  );
  assert.ok(hop.ok && hop.method === 'internal' && hop.principal.name === 'team-a-svc');
  assert.ok(
    hop.ok && hop.principal.credential?.kind === 'password',
    'the credential is rebuilt for propagation',
  );
  assert.deepEqual(calls, [], 'not authenticated again');

  for (const token of [undefined, 'internal-token-0123456788']) {
    const forged = request({
      [PRINCIPAL_HEADER]: principal,
      ...(token === undefined ? {} : { [INTERNAL_TOKEN_HEADER]: token }),
    });
    const v = await auth.authenticate(forged);
    assert.deepEqual(v, { ok: false, reason: 'missing', method: 'none' });
    assert.equal(
      forged.headers[PRINCIPAL_HEADER],
      undefined,
      'stripped, so it is not forwarded either',
    );
  }
  const noToken = setup(['none'], undefined).auth;
  const forged = request({ [PRINCIPAL_HEADER]: principal, [INTERNAL_TOKEN_HEADER]: '' });
  assert.equal(noToken.hop(forged), undefined, 'a replica without a token believes no hop');
  const garbled = await auth.authenticate(
    request({ [PRINCIPAL_HEADER]: 'x', [INTERNAL_TOKEN_HEADER]: TOKEN }),
  );
  assert.deepEqual(garbled, { ok: false, reason: 'malformed', method: 'internal' });
});

test('a certificate names its principal by CN or by the first SAN of a type', () => {
  const cert = {
    subject: { CN: 'team-a-svc', O: 'Example' },
    subjectaltname:
      'DNS:a.example, email:svc@example.com, URI:spiffe://example/team-a, DNS:b.example',
  } as unknown as PeerCertificate;
  assert.equal(certificateName(cert, 'cn'), 'team-a-svc');
  assert.equal(certificateName(cert, 'san-dns'), 'a.example');
  assert.equal(certificateName(cert, 'san-email'), 'svc@example.com');
  assert.equal(certificateName(cert, 'san-uri'), 'spiffe://example/team-a');
  assert.equal(certificateName({ subject: {} } as unknown as PeerCertificate, 'cn'), undefined);
  assert.equal(
    certificateName({ subject: {} } as unknown as PeerCertificate, 'san-dns'),
    undefined,
  );
});
