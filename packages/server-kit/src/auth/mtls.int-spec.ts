import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module, Req } from '@nestjs/common';
import pino from 'pino';
import { startGateway, type RunningGateway } from '../bootstrap/start-gateway';
import { readCommonConfig } from '../config/common.config';
import { deepFreeze, EnvReader } from '../config/env-reader';
import { ServerKitModule } from '../server-kit.module';
import { hashPassword } from './password-hash';
import { principalOf } from './principal';
import { secureStackSettings } from '../testing';

// mTLS client authentication on a real HTTPS listener: an in-process gateway (a root module
// whose one route answers the request's principal) with the secure stack's certificates
// (`infra/stack up --secure`: security.env). With `mtls` alone a client certificate is required
// at the handshake; beside `basic` it is optional and an untrusted or expired one is a 401.

const secure = secureStackSettings(process.env);
const skip = secure.skip;
const s = (name: string): string => secure.get(name);

@Controller()
class WhoAmIController {
  @Get('whoami')
  whoami(@Req() req: IncomingMessage): unknown {
    const p = principalOf(req);
    return { name: p.name, groups: p.groups, mechanism: p.mechanism };
  }
}

@Module({ controllers: [WhoAmIController] })
class WhoAmIModule {}

const logger = pino({ level: 'silent' });
const gateways: RunningGateway[] = [];

async function start(env: Record<string, string>): Promise<number> {
  const r = new EnvReader({
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    HTTP_TLS_CERT_FILE: s('GATEWAY_HTTPS_CERT_FILE'),
    HTTP_TLS_KEY_FILE: s('GATEWAY_HTTPS_KEY_FILE'),
    HTTP_TLS_CLIENT_CA_FILE: s('TLS_CA_FILE'),
    ...env,
  });
  const config = deepFreeze(readCommonConfig(r, { clientId: 'mtls-int' }));
  r.done();
  const gw = await startGateway({
    rootModule: {
      module: WhoAmIModule,
      imports: [ServerKitModule.forRoot({ service: 'mtls-int', logger })],
    },
    config,
    logger,
    handleSignals: false,
  });
  gateways.push(gw);
  return gw.port;
}

type Cert = 'valid' | 'expired' | 'untrusted' | 'none';
const CERT_FILES: Record<Exclude<Cert, 'none'>, [string, string]> = {
  valid: ['TLS_CLIENT_CERT_FILE', 'TLS_CLIENT_KEY_FILE'],
  expired: ['TLS_EXPIRED_CLIENT_CERT_FILE', 'TLS_EXPIRED_CLIENT_KEY_FILE'],
  untrusted: ['TLS_UNTRUSTED_CLIENT_CERT_FILE', 'TLS_UNTRUSTED_CLIENT_KEY_FILE'],
};

function call(
  port: number,
  cert: Cert,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; challenge: string | undefined }> {
  const files = cert === 'none' ? undefined : CERT_FILES[cert];
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `https://127.0.0.1:${port}/whoami`,
      {
        ca: readFileSync(s('TLS_CA_FILE')),
        ...(files === undefined
          ? {}
          : { cert: readFileSync(s(files[0])), key: readFileSync(s(files[1])) }),
        agent: false,
        headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? undefined : JSON.parse(text),
            challenge: res.headers['www-authenticate'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let mtlsOnly = 0;
let mtlsOrBasic = 0;
let sanOnly = 0;

before(async () => {
  if (skip !== false) return;
  const dir = mkdtempSync(join(tmpdir(), 'mtls-int-'));
  const users = join(dir, 'users');
  writeFileSync(users, `team-b-svc:${await hashPassword('pw-b', 'bcrypt', 4)}:team-b\n`);
  mtlsOnly = await start({ AUTH_METHODS: 'mtls' });
  mtlsOrBasic = await start({ AUTH_METHODS: 'mtls,basic', AUTH_BASIC_FILE: users });
  sanOnly = await start({ AUTH_METHODS: 'mtls', AUTH_MTLS_PRINCIPAL: 'san-dns' });
});

after(async () => {
  for (const gw of gateways) await gw.shutdown('test done');
});

test(
  'mtls alone: the verified certificate CN is the principal; others fail the handshake',
  { skip },
  async () => {
    const ok = await call(mtlsOnly, 'valid');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { name: 'gateway', groups: [], mechanism: 'mtls' });
    for (const cert of ['none', 'expired', 'untrusted'] as const) {
      await assert.rejects(call(mtlsOnly, cert), `${cert}: refused during the TLS handshake`);
    }
  },
);

test(
  'mtls beside basic: certificate optional; an unverified one is a 401, never a fallback',
  { skip },
  async () => {
    const ok = await call(mtlsOrBasic, 'valid', {
      authorization: `Basic ${Buffer.from('team-b-svc:pw-b').toString('base64')}`,
    });
    assert.deepEqual(
      ok.body,
      { name: 'gateway', groups: [], mechanism: 'mtls' },
      'mtls is listed first: it decides',
    );
    const pw = await call(mtlsOrBasic, 'none', {
      authorization: `Basic ${Buffer.from('team-b-svc:pw-b').toString('base64')}`,
    });
    assert.deepEqual(pw.body, { name: 'team-b-svc', groups: ['team-b'], mechanism: 'basic' });
    for (const cert of ['expired', 'untrusted'] as const) {
      const r = await call(mtlsOrBasic, cert, {
        authorization: `Basic ${Buffer.from('team-b-svc:pw-b').toString('base64')}`,
      });
      assert.equal(r.status, 401, cert);
      assert.equal((r.body as { error_code: number }).error_code, 40101);
      assert.equal(r.challenge, 'Basic realm="kafka-gateway"');
    }
    const none = await call(mtlsOrBasic, 'none');
    assert.equal(none.status, 401, 'no certificate and no password');
  },
);

test(
  'a certificate without the configured SAN type names no principal: 401',
  { skip },
  async () => {
    const r = await call(sanOnly, 'valid');
    assert.equal(r.status, 401);
    assert.equal((r.body as { error_code: number }).error_code, 40101);
  },
);
