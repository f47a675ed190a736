import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BasicAuthenticator } from './basic.authenticator';
import { CredentialsFile, parseCredentials } from './credentials-file';
import { hashPassword, verifyPassword } from './password-hash';

const logger = pino({ level: 'silent' });
const req = {} as IncomingMessage;
const basic = (user: string, password: string) => ({
  scheme: 'basic',
  credentials: Buffer.from(`${user}:${password}`).toString('base64'),
});
const CONFIG = { file: '', cacheTtlMs: 60_000, cacheMaxEntries: 100 };

async function setup(now: () => number = Date.now) {
  const dir = mkdtempSync(join(tmpdir(), 'basic-auth-'));
  const file = join(dir, 'users');
  const alice = await hashPassword('alice-pw', 'bcrypt', 4);
  const bob = await hashPassword('bob-pw', 'argon2');
  writeFileSync(file, `# team credentials\nalice:${alice}:team-a,ops\n\nbob:${bob}\n`);
  const verified: string[] = [];
  const verify = async (password: string, hash: string): Promise<boolean> => {
    verified.push(hash);
    return verifyPassword(password, hash);
  };
  const credentials = new CredentialsFile(file, logger, 0, now);
  const auth = new BasicAuthenticator({ ...CONFIG, file }, credentials, now, verify);
  return { file, auth, verified, alice };
}

test('credentials file lines: user:hash[:groups]; bad lines are left out by number only', async () => {
  const h = await hashPassword('x', 'bcrypt', 4);
  const { users, problems } = parseCredentials(
    `a:${h}:g1,g2\nb:${h}\nc:plaintext\nd:${h}:bad group\na:${h}\n e : x : y : z`,
  );
  assert.deepEqual([...users.keys()], ['a', 'b']);
  assert.deepEqual(users.get('a')?.groups, ['g1', 'g2']);
  assert.deepEqual(users.get('b')?.groups, []);
  assert.equal(problems.length, 4);
  assert.ok(problems.every((p) => !p.includes(h) && !p.includes('plaintext')));
});

test('bcrypt and argon2 users authenticate, with groups and a password credential', async () => {
  const { auth } = await setup();
  const a = await auth.authenticate(req, basic('alice', 'alice-pw'));
  assert.ok(a.ok);
  assert.equal(a.principal.name, 'alice');
  assert.deepEqual(a.principal.groups, ['team-a', 'ops']);
  assert.equal(a.principal.mechanism, 'basic');
  assert.equal(a.principal.credential?.kind, 'password');
  if (a.principal.credential?.kind === 'password') {
    assert.equal(a.principal.credential.password.value(), 'alice-pw');
    assert.equal(String(a.principal.credential.password), '[redacted]');
  }
  const b = await auth.authenticate(req, basic('bob', 'bob-pw'));
  assert.ok(b.ok && b.principal.name === 'bob');
});

test('a wrong password and an unknown user are the same refusal; the unknown one is hashed too', async () => {
  const { auth, verified } = await setup();
  assert.deepEqual(await auth.authenticate(req, basic('alice', 'nope')), {
    ok: false,
    reason: 'bad_credentials',
  });
  assert.deepEqual(await auth.authenticate(req, basic('mallory', 'x')), {
    ok: false,
    reason: 'bad_credentials',
  });
  assert.equal(verified.length, 2, 'the unknown user was checked against a dummy hash');
  assert.match(verified[1]!, /^\$2b\$04\$/, 'the dummy has the cost of the file');
});

test('malformed Basic credentials are refused before any hash check', async () => {
  const { auth, verified } = await setup();
  for (const credentials of [
    '!!!',
    Buffer.from('no-colon').toString('base64'),
    Buffer.from(':pw').toString('base64'),
  ]) {
    assert.deepEqual(await auth.authenticate(req, { scheme: 'basic', credentials }), {
      ok: false,
      reason: 'malformed',
    });
  }
  assert.equal(verified.length, 0);
});

test('a success is remembered until its TTL; a wrong password is never served from it', async () => {
  let now = 1_000_000;
  const { auth, verified } = await setup(() => now);
  assert.ok((await auth.authenticate(req, basic('alice', 'alice-pw'))).ok);
  assert.ok((await auth.authenticate(req, basic('alice', 'alice-pw'))).ok);
  assert.equal(verified.length, 1, 'the second request was served from the cache');
  assert.equal((await auth.authenticate(req, basic('alice', 'alice-pw2'))).ok, false);
  assert.equal(verified.length, 2);
  now += 60_001;
  assert.ok((await auth.authenticate(req, basic('alice', 'alice-pw'))).ok);
  assert.equal(verified.length, 3, 'verified again after the TTL');
});

test('a changed file is picked up and forgets remembered verifications', async () => {
  const { auth, file, verified } = await setup();
  assert.ok((await auth.authenticate(req, basic('alice', 'alice-pw'))).ok);
  writeFileSync(file, `alice:${await hashPassword('rotated', 'bcrypt', 4)}:team-a\n`);
  const later = new Date(Date.now() + 5000);
  utimesSync(file, later, later);
  assert.equal(
    (await auth.authenticate(req, basic('alice', 'alice-pw'))).ok,
    false,
    'the old password stops working',
  );
  const r = await auth.authenticate(req, basic('alice', 'rotated'));
  assert.ok(r.ok);
  assert.deepEqual(r.principal.groups, ['team-a']);
  assert.equal(
    (await auth.authenticate(req, basic('bob', 'bob-pw'))).ok,
    false,
    'a removed user is gone',
  );
  assert.ok(verified.length >= 3);
});
