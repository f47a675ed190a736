import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaRegistryOptions } from './schema.module';

const base = { timeoutMs: 1000, retries: 1, basicAuthUserInfo: undefined };

test('no registry URL: no registry client', () => {
  assert.equal(schemaRegistryOptions({ ...base, url: undefined }), undefined);
});

test('credentials in the URL move into basic auth', () => {
  const o = schemaRegistryOptions({
    ...base,
    url: 'https://al%40ice:s3:cr%2Ft@sr.example:8081/apis/ccompat/v7',
  });
  assert.equal(o?.url, 'https://sr.example:8081/apis/ccompat/v7');
  assert.deepEqual(o?.basicAuth, { username: 'al@ice', password: 's3:cr/t' });
});

test('explicit user info wins over the URL and may contain colons in the password', () => {
  const o = schemaRegistryOptions({
    ...base,
    url: 'http://u:p@sr:8081',
    basicAuthUserInfo: 'key:sec:ret',
  });
  assert.deepEqual(o?.basicAuth, { username: 'key', password: 'sec:ret' });
  assert.equal(o?.timeoutMs, 1000);
  assert.equal(o?.retries, 1);
});
