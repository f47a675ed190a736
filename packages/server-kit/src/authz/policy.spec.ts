import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Principal } from '../auth/principal';
import { compileNames } from './name-matcher';
import { CLUSTER, CompiledPolicy, group, topic } from './policy';
import { parsePolicy, PolicyError } from './policy-parser';

const who = (name: string, ...groups: string[]): Principal => ({
  name,
  groups,
  mechanism: 'basic',
});

test('name patterns: exact, prefix:, globs with * and ?, and * alone', () => {
  const m = compileNames(['orders', 'prefix:team-a.', 'logs-*-v?', 'a.b']);
  for (const yes of ['orders', 'team-a.', 'team-a.x.y', 'logs-web-v1', 'logs--v2', 'a.b'])
    assert.ok(m.matches(yes), yes);
  for (const no of ['orders2', 'xorders', 'team-a', 'team-b.x', 'logs-web-v10', 'logs-web', 'aXb'])
    assert.ok(!m.matches(no), no);
  assert.ok(compileNames(['*']).matches('anything at all'));
  // regex metacharacters in names are literal
  const special = compileNames(['t(1)+[x]*']);
  assert.ok(special.matches('t(1)+[x]-suffix'));
  assert.ok(!special.matches('t1x'));
});

test('a grant gives its operations on its resources to its principals and groups only', () => {
  const policy = new CompiledPolicy(
    parsePolicy(`
grants:
  - principals: ["team-a-svc", "group:team-a"]
    operations: [produce, consume, describe]
    topics: ["team-a.*"]
    groups: ["prefix:team-a."]
  - principals: ["ops"]
    operations: ["*"]
    topics: ["*"]
    groups: ["*"]
    cluster: true
  - principals: ["*"]
    operations: [describe]
    topics: ["public"]
`),
  );
  const a = who('team-a-svc');
  const member = who('someone', 'team-a');
  const b = who('team-b-svc', 'team-b');
  const ops = who('ops');
  assert.ok(policy.allows(a, 'produce', topic('team-a.orders')));
  assert.ok(policy.allows(member, 'consume', group('team-a.g1')));
  assert.ok(!policy.allows(a, 'delete', topic('team-a.orders')), 'operation not granted');
  assert.ok(!policy.allows(a, 'produce', topic('team-b.orders')), 'topic not granted');
  assert.ok(!policy.allows(a, 'consume', group('team-b.g')), 'group not granted');
  assert.ok(!policy.allows(a, 'describe', CLUSTER), 'cluster needs cluster: true');
  assert.ok(!policy.allows(b, 'describe', topic('team-a.orders')));
  assert.ok(policy.allows(b, 'describe', topic('public')), '* is any principal');
  assert.ok(!policy.allows(b, 'produce', topic('public')));
  for (const op of [
    'produce',
    'consume',
    'describe',
    'create',
    'delete',
    'alter-configs',
  ] as const) {
    assert.ok(policy.allows(ops, op, topic('x')), op);
    assert.ok(policy.allows(ops, op, CLUSTER), op);
  }
  // a group grant does not give the topic of the same name
  assert.ok(policy.allows(a, 'consume', group('team-a.same')));
  assert.ok(!policy.allows(a, 'consume', topic('prefix-only.team-a.same')));
  const groupsOnly = new CompiledPolicy(
    parsePolicy('grants: [{principals: [x], operations: [consume], groups: [g]}]'),
  );
  assert.ok(groupsOnly.allows(who('x'), 'consume', group('g')));
  assert.ok(!groupsOnly.allows(who('x'), 'consume', topic('g')));
});

test('an empty grant list refuses everything', () => {
  const policy = new CompiledPolicy(parsePolicy('{"grants": []}'));
  assert.ok(!policy.allows(who('ops'), 'describe', topic('t')));
});

test('JSON is accepted as well as YAML', () => {
  const policy = new CompiledPolicy(
    parsePolicy(
      JSON.stringify({ grants: [{ principals: ['x'], operations: ['describe'], topics: ['t'] }] }),
    ),
  );
  assert.ok(policy.allows(who('x'), 'describe', topic('t')));
});

test('a malformed policy names every problem', () => {
  const bad = (text: string): readonly string[] => {
    try {
      parsePolicy(text);
    } catch (err) {
      assert.ok(err instanceof PolicyError);
      return err.problems;
    }
    assert.fail(`accepted: ${text}`);
  };
  assert.match(bad('grants: [')[0]!, /not YAML or JSON/);
  assert.match(bad('- a\n- b')[0]!, /grants/);
  const problems = bad(`
grants:
  - principals: []
    operations: [produce, write]
    topic: ["x"]
  - principals: ["a"]
    operations: [describe]
    cluster: "yes"
extra: 1
`);
  assert.ok(
    problems.some((p) => /grants\[0\]\.principals/.test(p)),
    problems.join('|'),
  );
  assert.ok(problems.some((p) => /write is not one of/.test(p)));
  assert.ok(problems.some((p) => /grants\[0\]\.topic is unknown/.test(p)));
  assert.ok(problems.some((p) => /grants\[0\] names no resource/.test(p)));
  assert.ok(problems.some((p) => /grants\[1\]\.cluster must be true or false/.test(p)));
  assert.ok(problems.some((p) => /extra is unknown/.test(p)));
});
