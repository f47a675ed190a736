import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../config/secret';
import { schemaRegistryOptions } from './schema.module';

const base = {
  timeoutMs: 1000,
  retries: 1,
  basicAuthUserInfo: undefined,
  bearerAuthToken: undefined,
  caFile: undefined,
  certFile: undefined,
  keyFile: undefined,
};
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('no registry URL: no registry client', () => {
  assert.equal(schemaRegistryOptions({ ...base, url: undefined }), undefined);
});

test('credentials in the URL move into basic auth', () => {
  const o = schemaRegistryOptions({
    ...base,
    url: 'https://al%40ice:s3:cr%2Ft@sr.example:8081/apis/ccompat/v7',
  });
  assert.equal(o?.url, 'https://sr.example:8081/apis/ccompat/v7');
  assert.equal(o?.authorization?.(), basic('al@ice', 's3:cr/t'));
  assert.equal(o?.tls, undefined);
});

test('explicit user info wins over the URL and may contain colons in the password', () => {
  const o = schemaRegistryOptions({
    ...base,
    url: 'http://u:p@sr:8081',
    basicAuthUserInfo: Secret.of('key:sec:ret'),
  });
  assert.equal(o?.authorization?.(), basic('key', 'sec:ret'));
  assert.equal(o?.timeoutMs, 1000);
  assert.equal(o?.retries, 1);
});

test('user info and bearer token from files are read when used (rotation)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sr-auth-'));
  const info = join(dir, 'info');
  writeFileSync(info, 'u:one\n');
  const o = schemaRegistryOptions({
    ...base,
    url: 'http://sr:8081',
    basicAuthUserInfo: Secret.fromFile(info),
  });
  assert.equal(o?.authorization?.(), basic('u', 'one'));
  writeFileSync(info, 'u:two-longer\n');
  assert.equal(o?.authorization?.(), basic('u', 'two-longer'));
  writeFileSync(info, 'no-colon-here');
  assert.throws(
    () => o?.authorization?.(),
    (e: Error) => e.message.includes('_FILE') && !e.message.includes('no-colon-here'),
  );

  const token = join(dir, 'token');
  writeFileSync(token, 'tok-1\n');
  const b = schemaRegistryOptions({
    ...base,
    url: 'http://sr:8081',
    bearerAuthToken: Secret.fromFile(token),
  });
  assert.equal(b?.authorization?.(), 'Bearer tok-1');
});

test('TLS files become PEM material the codec receives (never paths)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sr-tls-'));
  for (const f of ['ca', 'cert', 'key']) writeFileSync(join(dir, f), `${f} pem`);
  const o = schemaRegistryOptions({
    ...base,
    url: 'https://sr:8443',
    caFile: join(dir, 'ca'),
    certFile: join(dir, 'cert'),
    keyFile: join(dir, 'key'),
  });
  const m = o?.tls?.();
  assert.equal(m?.ca?.toString(), 'ca pem');
  assert.equal(m?.cert?.toString(), 'cert pem');
  assert.equal(m?.key?.toString(), 'key pem');
  assert.equal(o?.tls?.(), m, 'unchanged files answer the same object');
});
