import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal';
import { toErrorResponse } from '../errors/error-response';
import { Authorizer } from './authorizer';
import { CLUSTER, topic } from './policy';
import { PolicyFile, type PolicyFs } from './policy-file';

/** A logger that keeps what it was given. */
function fakeLogger(): { logger: Logger; lines: { level: string; obj: unknown; msg: string }[] } {
  const lines: { level: string; obj: unknown; msg: string }[] = [];
  const at =
    (level: string) =>
    (obj: unknown, msg: string): void => {
      lines.push({ level, obj, msg });
    };
  return {
    logger: { info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger,
    lines,
  };
}

/** A file whose content and stamp a test changes; `missing` makes both calls fail. */
function fakeFs(text: string): PolicyFs & { set(t: string): void; missing: boolean } {
  let content = text;
  let version = 1;
  return {
    missing: false,
    set(t: string) {
      content = t;
      version += 1;
    },
    stamp(this: { missing: boolean }) {
      if (this.missing) throw new Error('ENOENT');
      return String(version);
    },
    read() {
      return content;
    },
  };
}

const A: Principal = { name: 'team-a-svc', groups: ['team-a'], mechanism: 'basic' };
const grantA = (pattern: string): string =>
  `grants:\n  - principals: ["group:team-a"]\n    operations: [produce]\n    topics: ["${pattern}"]\n`;

test('no policy file: everything is allowed, nothing is audited', () => {
  const { logger, lines } = fakeLogger();
  const authz = new Authorizer(null, logger);
  assert.equal(authz.enabled, false);
  assert.ok(authz.allows(A, 'delete', CLUSTER));
  authz.require({ principal: A }, 'delete', CLUSTER);
  assert.deepEqual(
    authz.filter(A, 'describe', 'topic', ['x', 'y'], (n) => n),
    ['x', 'y'],
  );
  assert.equal(lines.length, 0);
});

test('require: 403/40301 and exactly one audit line with principal, operation, resource, reason, id', () => {
  const { logger, lines } = fakeLogger();
  const authz = new Authorizer(
    new PolicyFile('p.yaml', logger, fakeFs(grantA('team-a.*'))),
    logger,
  );
  lines.length = 0;
  authz.require({ principal: A, requestId: 'r1' }, 'produce', topic('team-a.orders'));
  assert.equal(lines.length, 0, 'an allowed request writes no audit line');
  assert.throws(
    () => authz.require({ principal: A, requestId: 'r2' }, 'produce', topic('team-b.orders')),
    (err: unknown) => {
      const r = toErrorResponse(err);
      assert.equal(r.status, 403);
      assert.equal(r.body.error_code, 40301);
      assert.match(r.body.message, /produce topic team-b\.orders/);
      return true;
    },
  );
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'warn');
  assert.deepEqual(lines[0]!.obj, {
    audit: {
      principal: 'team-a-svc',
      operation: 'produce',
      resource: 'topic:team-b.orders',
      reason: 'no matching grant',
      requestId: 'r2',
    },
  });
});

test('filter keeps what the principal may describe', () => {
  const { logger } = fakeLogger();
  const policy = `grants:\n  - principals: ["team-a-svc"]\n    operations: [describe]\n    topics: ["prefix:team-a."]\n`;
  const authz = new Authorizer(new PolicyFile('p', logger, fakeFs(policy)), logger);
  const listed = authz.filter(
    A,
    'describe',
    'topic',
    [{ n: 'team-a.1' }, { n: 'team-b.1' }, { n: 'team-a.2' }],
    (t) => t.n,
  );
  assert.deepEqual(
    listed.map((t) => t.n),
    ['team-a.1', 'team-a.2'],
  );
});

test('a changed file is picked up after the recheck interval; a broken one keeps the last good policy and logs once', () => {
  const { logger, lines } = fakeLogger();
  const fs = fakeFs(grantA('team-a.*'));
  let now = 0;
  const file = new PolicyFile('p', logger, fs, 1000, () => now);
  const authz = new Authorizer(file, logger);
  assert.ok(authz.allows(A, 'produce', topic('team-a.x')));

  fs.set(grantA('other.*'));
  now = 500;
  assert.ok(authz.allows(A, 'produce', topic('team-a.x')), 'not looked at before the interval');
  now = 1000;
  assert.ok(!authz.allows(A, 'produce', topic('team-a.x')), 'reloaded');
  assert.ok(authz.allows(A, 'produce', topic('other.x')));

  fs.set('grants: [ {');
  const errorsBefore = lines.filter((l) => l.level === 'error').length;
  for (now = 2000; now < 10_000; now += 1000) {
    assert.ok(authz.allows(A, 'produce', topic('other.x')), 'last good policy stays');
  }
  assert.equal(lines.filter((l) => l.level === 'error').length, errorsBefore + 1, 'logged once');

  fs.missing = true;
  now += 1000;
  assert.ok(authz.allows(A, 'produce', topic('other.x')), 'a vanished file keeps the policy too');
  assert.equal(lines.filter((l) => l.level === 'error').length, errorsBefore + 2);
  fs.missing = false;

  fs.set(grantA('team-a.*'));
  now += 1000;
  assert.ok(authz.allows(A, 'produce', topic('team-a.x')), 'a fixed file is loaded');
});

test('a broken policy file at start is refused (the gateway does not start)', () => {
  const { logger } = fakeLogger();
  assert.throws(() => new PolicyFile('p', logger, fakeFs('grants: 3')), /grants/);
});
