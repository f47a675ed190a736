import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PemFiles } from './pem-files';

test('the same object until a file changes; re-read after the recheck interval', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pem-'));
  writeFileSync(join(dir, 'cert'), 'cert-1');
  writeFileSync(join(dir, 'key'), 'key-1');
  let now = 0;
  const pem = new PemFiles({ cert: join(dir, 'cert'), key: join(dir, 'key') }, 1000, () => now);
  const first = pem.current();
  assert.equal(first.cert?.toString(), 'cert-1');
  assert.equal(first.ca, undefined);
  now = 5000;
  assert.equal(pem.current(), first, 'unchanged files: the same object');
  writeFileSync(join(dir, 'key'), 'key-2-longer');
  now = 5500;
  assert.equal(pem.current(), first, 'within the recheck interval nothing is looked at');
  now = 7000;
  const second = pem.current();
  assert.notEqual(second, first);
  assert.equal(second.key?.toString(), 'key-2-longer');
});

test('follows a swapped symlink, as Kubernetes updates a mounted Secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pem-link-'));
  writeFileSync(join(dir, 'a.pem'), 'version-a');
  writeFileSync(join(dir, 'b.pem'), 'version-b-longer');
  symlinkSync(join(dir, 'a.pem'), join(dir, 'ca'));
  let now = 0;
  const pem = new PemFiles({ ca: join(dir, 'ca') }, 1, () => now);
  assert.equal(pem.current().ca?.toString(), 'version-a');
  symlinkSync(join(dir, 'b.pem'), join(dir, 'ca.new'));
  renameSync(join(dir, 'ca.new'), join(dir, 'ca'));
  now = 10;
  assert.equal(pem.current().ca?.toString(), 'version-b-longer');
});

test('an unreadable file throws naming it', () => {
  const pem = new PemFiles({ ca: '/nonexistent/ca.pem' });
  assert.throws(() => pem.current(), /\/nonexistent\/ca\.pem/);
});
