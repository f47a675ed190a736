import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { readCommonConfig } from '../config/common.config';
import { ConfigError, EnvReader } from '../config/env-reader';
import { saslOptions, tlsOptions } from './kafka-client.factory';
import { OAuthTokenProvider } from './oauth-token.provider';
import { toGatewayError } from './kafka-errors';
import { KafkaJSSASLAuthenticationError } from 'kafkajs';

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function load(env: Record<string, string>): ReturnType<typeof readCommonConfig> {
  const r = new EnvReader(env);
  const c = readCommonConfig(r, { clientId: 'x' });
  r.done();
  return c;
}

function problems(env: Record<string, string>): string[] {
  const r = new EnvReader(env);
  readCommonConfig(r, { clientId: 'x' });
  try {
    r.done();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.problems];
  }
  return [];
}

test('PLAINTEXT is the default: no TLS, no SASL', () => {
  const c = load({});
  assert.equal(c.kafka.securityProtocol, 'PLAINTEXT');
  assert.equal(c.kafka.tls, undefined);
  assert.equal(c.kafka.sasl, undefined);
});

test('SASL_SSL with SCRAM-SHA-512, a CA and a password file; the secret never prints', () => {
  const ca = file('ca.pem', 'CA-ONE');
  const pw = file('pw', 'hunter2-s3cret\n');
  const c = load({
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_LOCATION: ca,
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: 'gateway',
    KAFKA_SASL_PASSWORD_FILE: pw,
  });
  assert.equal(c.kafka.tls?.caFile, ca);
  assert.equal(c.kafka.tls?.verifyHostname, true);
  const sasl = c.kafka.sasl;
  assert.ok(sasl !== undefined && sasl.mechanism === 'SCRAM-SHA-512');
  assert.equal(sasl.password.value(), 'hunter2-s3cret', 'the trailing newline of the file is cut');
  for (const shown of [JSON.stringify(c), inspect(c, { depth: 10 }), String(sasl.password)]) {
    assert.ok(!shown.includes('hunter2'), shown);
  }
});

test('a missing or unreadable file stops start-up naming the variable', () => {
  const p = problems({
    KAFKA_SECURITY_PROTOCOL: 'SSL',
    KAFKA_SSL_CA_LOCATION: join(dir, 'nope.pem'),
    KAFKA_SSL_CERTIFICATE_LOCATION: join(dir, 'nope-cert.pem'),
    KAFKA_SSL_KEY_LOCATION: file('key.pem', 'KEY'),
  });
  assert.ok(
    p.some((m) => m.startsWith('KAFKA_SSL_CA_LOCATION=')),
    p.join('\n'),
  );
  assert.ok(
    p.some((m) => m.startsWith('KAFKA_SSL_CERTIFICATE_LOCATION=')),
    p.join('\n'),
  );
  assert.equal(p.length, 2, p.join('\n'));
});

test('unsupported combinations are refused with the variables named', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ KAFKA_SASL_MECHANISM: 'PLAIN' }, /KAFKA_SASL_MECHANISM=PLAIN needs KAFKA_SECURITY_PROTOCOL/],
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }, /needs KAFKA_SASL_MECHANISM/],
    [
      { KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' },
      /needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    ],
    [
      {
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_MECHANISM: 'PLAIN',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SASL_PASSWORD_FILE: file('p2', 'p'),
      },
      /set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both/,
    ],
    [
      { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'OAUTHBEARER' },
      /exactly one of KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL and KAFKA_SASL_OAUTHBEARER_TOKEN_FILE/,
    ],
    [
      {
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
        KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL: 'http://127.0.0.1:1/token',
      },
      /needs KAFKA_SASL_OAUTHBEARER_CLIENT_ID and KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET/,
    ],
    [
      { KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT', KAFKA_SSL_CA_LOCATION: file('ca2.pem', 'x') },
      /does not use TLS/,
    ],
    [
      { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_KEY_LOCATION: file('k2.pem', 'x') },
      /go together \(mTLS\)/,
    ],
    [{ KAFKA_SECURITY_PROTOCOL: 'TLS' }, /KAFKA_SECURITY_PROTOCOL=TLS must be one of/],
    [
      { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'GSSAPI' },
      /KAFKA_SASL_MECHANISM=GSSAPI must be one of/,
    ],
  ];
  for (const [env, expected] of cases) {
    const p = problems(env);
    assert.ok(
      p.some((m) => expected.test(m)),
      `${JSON.stringify(env)}: ${p.join(' | ')}`,
    );
  }
});

test('TLS options re-read the PEM files on every connection; hostname check can be turned off', () => {
  const ca = file('rot-ca.pem', 'FIRST');
  const opts = tlsOptions({
    caFile: ca,
    certFile: undefined,
    keyFile: undefined,
    keyPassword: undefined,
    verifyHostname: true,
  });
  assert.equal(String(Object.assign({}, opts).ca), 'FIRST');
  writeFileSync(ca, 'SECOND');
  assert.equal(String(Object.assign({}, opts).ca), 'SECOND', 'kafkajs copies options per socket');
  assert.equal(opts.checkServerIdentity, undefined, 'Node verifies the hostname by default');
  const loose = tlsOptions({
    caFile: ca,
    certFile: undefined,
    keyFile: undefined,
    keyPassword: undefined,
    verifyHostname: false,
  });
  assert.equal(typeof loose.checkServerIdentity, 'function');
});

test('SASL passwords from a file are read when a connection authenticates', () => {
  const pw = file('rot-pw', 'old');
  const c = load({
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
    KAFKA_SASL_USERNAME: 'gateway',
    KAFKA_SASL_PASSWORD_FILE: pw,
  });
  const opts = saslOptions(c.kafka.sasl!) as { mechanism: string; password: string };
  assert.equal(opts.mechanism, 'scram-sha-256');
  assert.equal(opts.password, 'old');
  writeFileSync(pw, 'new-and-longer');
  assert.equal(opts.password, 'new-and-longer');
});

test('OAUTHBEARER client credentials: Basic auth, form body, token cached until refresh', async () => {
  const seen: { auth?: string; body: string }[] = [];
  let issued = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body });
      issued++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `tok-${issued}`, expires_in: 0.5 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const secret = file('client-secret', 'c-s3cret');
    const c = load({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
      KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL: `http://127.0.0.1:${port}/token`,
      KAFKA_SASL_OAUTHBEARER_CLIENT_ID: 'gateway',
      KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET_FILE: secret,
      KAFKA_SASL_OAUTHBEARER_SCOPE: 'kafka',
    });
    const sasl = c.kafka.sasl;
    assert.ok(sasl?.mechanism === 'OAUTHBEARER');
    const provider = new OAuthTokenProvider(sasl);
    const [a, b] = await Promise.all([provider.token(), provider.token()]);
    assert.equal(a, 'tok-1');
    assert.equal(b, 'tok-1', 'concurrent callers share one request');
    assert.equal(await provider.token(), 'tok-1', 'cached');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.auth, `Basic ${Buffer.from('gateway:c-s3cret').toString('base64')}`);
    assert.equal(seen[0]!.body, 'grant_type=client_credentials&scope=kafka');
    await new Promise((r) => setTimeout(r, 450)); // past 80% of the 0.5 s lifetime
    assert.equal(await provider.token(), 'tok-2', 'fetched again before expiry');
  } finally {
    server.close();
  }
});

test('OAUTHBEARER token file is re-read', async () => {
  const tokenFile = file('token', 'file-token-1\n');
  const provider = new OAuthTokenProvider({
    mechanism: 'OAUTHBEARER',
    tokenEndpointUrl: undefined,
    clientId: undefined,
    clientSecret: undefined,
    scope: undefined,
    tokenFile,
  });
  assert.equal(await provider.token(), 'file-token-1');
  writeFileSync(tokenFile, 'file-token-2');
  assert.equal(await provider.token(), 'file-token-2');
});

test('refused gateway credentials are a retriable 503 that names no secret', () => {
  const refused = new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)(
    'SASL SCRAM SHA512 authentication failed: invalid credentials',
  );
  const e = toGatewayError(refused);
  assert.equal(e.code, 'broker_not_available');
  assert.equal(e.retriable, true);
  assert.equal(e.retryAfterSeconds, 1);
  assert.match(e.message, /refused the gateway's credentials/);
});
