import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { OWN_VARS, type SaslGateway, startExtraGateway } from './sasl-gateway';
import type { StackInfo } from './stack';

/**
 * `--auth`: one extra producer gateway that requires client authentication (basic,jwt), so that
 * every produce row gets an authenticated twin with each method in the same run. Its Basic user
 * has a bcrypt hash of the default cost (made by scripts/hash-password.mjs) and its JWKS is
 * served by this process; both are verified once and then answered from the gateway's caches,
 * which is what steady traffic of a client that reuses its credentials costs.
 */
export interface AuthGateway extends SaslGateway {
  readonly authorization: { readonly basic: string; readonly jwt: string };
}

const ISSUER = 'bench';
const AUDIENCE = 'kafka-gateway';
/** The bench's token outlives any run. */
const TOKEN_TTL_S = 6 * 3600;

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

async function serveJwks(jwk: object): Promise<{ url: string; server: Server }> {
  const body = JSON.stringify({ keys: [jwk] });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/jwks`, server };
}

export async function startAuthGateway(
  stack: StackInfo,
  log: (message: string) => void,
): Promise<AuthGateway> {
  const dir = join(stack.runDir, 'bench-auth');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const user = 'bench';
  const password = randomBytes(18).toString('base64url');
  const line = execFileSync(
    process.execPath,
    [resolve(__dirname, '..', '..', 'scripts', 'hash-password.mjs'), user, 'bench'],
    { input: password },
  ).toString();
  const users = join(dir, 'users');
  writeFileSync(users, line, { mode: 0o600 });

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'bench-1';
  const jwks = await serveJwks({
    ...publicKey.export({ format: 'jwk' }),
    kid,
    alg: 'RS256',
    use: 'sig',
  });
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url({ iss: ISSUER, aud: AUDIENCE, sub: user, groups: ['bench'], iat: now, exp: now + TOKEN_TTL_S })}`;
  const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;

  let gateway: SaslGateway;
  try {
    gateway = await startExtraGateway(
      stack,
      'authenticating',
      'bench-producer-gateway-auth.log',
      (httpPort, metricsPort) => {
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(process.env))
          if (v !== undefined && !OWN_VARS.test(k)) env[k] = v;
        return {
          ...env,
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(httpPort),
          METRICS_HOST: '127.0.0.1',
          METRICS_PORT: String(metricsPort),
          KAFKA_BROKERS: stack.brokers.join(','),
          SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
          AUTH_METHODS: 'basic,jwt',
          AUTH_BASIC_FILE: users,
          AUTH_JWT_JWKS_URL: jwks.url,
          AUTH_JWT_ISSUER: ISSUER,
          AUTH_JWT_AUDIENCE: AUDIENCE,
          LOG_LEVEL: process.env['LOG_LEVEL'] || 'info',
        };
      },
      log,
    );
  } catch (err) {
    jwks.server.close();
    throw err;
  }
  return {
    ...gateway,
    stop: async () => {
      await gateway.stop();
      jwks.server.close();
    },
    authorization: {
      basic: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      jwt: `Bearer ${token}`,
    },
  };
}
