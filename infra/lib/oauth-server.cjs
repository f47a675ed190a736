// A minimal OAuth 2.0 token endpoint for the secure test stack (client_credentials grant only):
// signs RS256 JWTs that Kafka's OAuthBearerValidatorCallbackHandler checks against GET /jwks.
// No dependencies; plain HTTP on loopback. Started by `infra/stack up --secure` as `oauth`.
//
// Environment:
//   OAUTH_PORT, OAUTH_HOST (default 127.0.0.1)
//   OAUTH_ISSUER, OAUTH_AUDIENCE        the `iss` and `aud` claims (the broker checks both)
//   OAUTH_CLIENT_ID                     the one client; the token's `sub` is its id
//   OAUTH_CLIENT_SECRET_FILE            its secret (one line)
//   OAUTH_SIGNING_KEY_FILE              RSA private key (PEM) whose public half GET /jwks serves
//   OAUTH_UNTRUSTED_KEY_FILE            RSA private key for `key=untrusted` tokens (not in the JWKS)
//   OAUTH_TOKEN_TTL_SECONDS             token lifetime (default 3600)
//
// POST /token   form body grant_type=client_credentials [&scope=...]; client authentication by
//               HTTP Basic (RFC 6749 2.3.1, form-urlencoded id and secret) or the client_id and
//               client_secret form fields. Test switches, as query or form parameters:
//               ttl=<seconds> (-86400..86400; <= 0 gives an already expired token) and
//               key=untrusted (signed by a key the JWKS does not publish); and, for the
//               gateways' own client authentication (`infra/stack up --auth`): sub=<principal>
//               (instead of the client id), groups=<g1,g2> (a `groups` array claim),
//               aud=<audience> and iss=<issuer> (instead of OAUTH_AUDIENCE / OAUTH_ISSUER).
//               -> 200 {access_token, token_type: "Bearer", expires_in[, scope]}
//               -> 400 {error: invalid_request | unsupported_grant_type}, 401 {error: invalid_client}
// GET /jwks, GET /.well-known/jwks.json    {keys: [the signing key]}
// GET /.well-known/openid-configuration    issuer, token_endpoint, jwks_uri
// GET /stats    {tokens_issued, tokens_refused}: lets refresh tests count token fetches
// GET /healthz  200 ok
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');

function env(name, fallback) {
  const v = process.env[name];
  if (v !== undefined && v !== '') return v;
  if (fallback !== undefined) return fallback;
  console.error(`oauth-server: ${name} is not set`);
  process.exit(2);
}

const host = env('OAUTH_HOST', '127.0.0.1');
const port = Number(env('OAUTH_PORT'));
const issuer = env('OAUTH_ISSUER');
const audience = env('OAUTH_AUDIENCE');
const clientId = env('OAUTH_CLIENT_ID');
const clientSecret = fs.readFileSync(env('OAUTH_CLIENT_SECRET_FILE'), 'utf8').trim();
const defaultTtl = Number(env('OAUTH_TOKEN_TTL_SECONDS', '3600'));

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function loadKey(file) {
  const privateKey = crypto.createPrivateKey(fs.readFileSync(file));
  const { kty, n, e } = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
  // RFC 7638 thumbprint as the key id
  const kid = b64url(crypto.createHash('sha256').update(JSON.stringify({ e, kty, n })).digest());
  return { privateKey, jwk: { kty, n, e, kid, use: 'sig', alg: 'RS256' } };
}

const keys = {
  trusted: loadKey(env('OAUTH_SIGNING_KEY_FILE')),
  untrusted: loadKey(env('OAUTH_UNTRUSTED_KEY_FILE')),
};
const stats = { tokens_issued: 0, tokens_refused: 0 };

function sign(key, claims) {
  const header = { alg: 'RS256', typ: 'JWT', kid: key.jwk.kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(crypto.sign('sha256', Buffer.from(input), key.privateKey))}`;
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function same(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

const formDecode = (s) => decodeURIComponent(s.replace(/\+/g, ' '));

// -> { id, secret, basic } or undefined
function clientCredentials(req, form) {
  const auth = req.headers.authorization;
  if (auth !== undefined && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    try {
      return {
        id: formDecode(decoded.slice(0, colon)),
        secret: formDecode(decoded.slice(colon + 1)),
        basic: true,
      };
    } catch {
      return undefined;
    }
  }
  if (form.has('client_id'))
    return { id: form.get('client_id'), secret: form.get('client_secret') ?? '', basic: false };
  return undefined;
}

function token(req, res, url, body) {
  const form = new URLSearchParams(body);
  const param = (name) => form.get(name) ?? url.searchParams.get(name);
  const refuse = (status, error, description, headers) => {
    stats.tokens_refused++;
    log(`POST /token ${status} ${error}`);
    send(res, status, { error, error_description: description }, headers);
  };
  const grant = form.get('grant_type');
  if (grant === null) return refuse(400, 'invalid_request', 'grant_type is required');
  if (grant !== 'client_credentials')
    return refuse(400, 'unsupported_grant_type', `grant_type ${grant}`);
  const client = clientCredentials(req, form);
  if (client === undefined || !same(client.id, clientId) || !same(client.secret, clientSecret)) {
    return refuse(
      401,
      'invalid_client',
      'unknown client or wrong secret',
      client?.basic ? { 'www-authenticate': 'Basic realm="stack"' } : {},
    );
  }
  const ttlParam = param('ttl');
  const ttl = ttlParam === null ? defaultTtl : Number(ttlParam);
  if (!Number.isInteger(ttl) || ttl < -86400 || ttl > 86400)
    return refuse(400, 'invalid_request', 'ttl: an integer in -86400..86400');
  const keyName = param('key') ?? 'trusted';
  const key = keys[keyName];
  if (key === undefined) return refuse(400, 'invalid_request', 'key: trusted or untrusted');
  const now = Math.floor(Date.now() / 1000);
  const scope = form.get('scope');
  const sub = param('sub') ?? client.id;
  const groups = param('groups');
  const claims = {
    iss: param('iss') ?? issuer,
    aud: param('aud') ?? audience,
    sub,
    ...(groups === null ? {} : { groups: groups.split(',').filter((g) => g !== '') }),
    client_id: client.id,
    iat: ttl > 0 ? now : now + ttl - 60,
    exp: now + ttl,
    jti: crypto.randomUUID(),
    ...(scope ? { scope } : {}),
  };
  stats.tokens_issued++;
  log(`POST /token 200 client=${client.id} sub=${sub} key=${keyName} ttl=${ttl}`);
  send(res, 200, {
    access_token: sign(key, claims),
    token_type: 'Bearer',
    expires_in: ttl,
    ...(scope ? { scope } : {}),
  });
}

function log(line) {
  console.log(`${new Date().toISOString()} ${line}`);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', `http://${host}:${port}`);
  const base = `http://${req.headers.host ?? `${host}:${port}`}`;
  if (req.method === 'GET' || req.method === 'HEAD') {
    switch (url.pathname) {
      case '/jwks':
      case '/.well-known/jwks.json':
        return send(res, 200, { keys: [keys.trusted.jwk] });
      case '/.well-known/openid-configuration':
        return send(res, 200, {
          issuer,
          token_endpoint: `${base}/token`,
          jwks_uri: `${base}/jwks`,
          grant_types_supported: ['client_credentials'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      case '/stats':
        return send(res, 200, stats);
      case '/healthz':
        return send(res, 200, { status: 'ok' });
    }
  }
  if (req.method === 'POST' && url.pathname === '/token') {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 65536) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => token(req, res, url, Buffer.concat(chunks).toString('utf8')));
    return undefined;
  }
  return send(res, 404, { error: 'not_found' });
});

server.listen(port, host, () =>
  log(`listening on http://${host}:${port} (issuer ${issuer}, audience ${audience})`),
);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
