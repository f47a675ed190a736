import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import pino from 'pino';
import { setPrincipal } from '../auth/principal';
import { toErrorResponse } from '../errors/error-response';
import { AuthorizationGuard } from './authorization.guard';
import {
  Authorize,
  CLUSTER_RESOURCE,
  groupParam,
  PublicRoute,
  topicParam,
} from './authorize.decorator';
import { Authorizer } from './authorizer';
import { PolicyFile } from './policy-file';

class Handlers {
  @Authorize('describe', groupParam(), topicParam())
  lag(this: void): void {}
  @Authorize('alter-configs', CLUSTER_RESOURCE)
  brokerConfig(this: void): void {}
  @PublicRoute('ping')
  ping(this: void): void {}
  undeclared(this: void): void {}
}

const POLICY = `grants:
  - principals: [alice]
    operations: [describe]
    topics: ["team-a.*"]
    groups: ["team-a.*"]
`;

function guardFor(policy: string | null): AuthorizationGuard {
  const logger = pino({ enabled: false });
  const file =
    policy === null ? null : new PolicyFile('p', logger, { stamp: () => '1', read: () => policy });
  return new AuthorizationGuard(new Reflector(), new Authorizer(file, logger));
}

function context(
  handler: keyof Handlers,
  params: Record<string, string>,
  who?: string,
): ExecutionContext {
  const req = { params, method: 'GET', path: '/x', headers: {} } as never;
  if (who !== undefined) setPrincipal(req, { name: who, groups: [], mechanism: 'basic' });
  return {
    getHandler: () => Handlers.prototype[handler],
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

const status = (f: () => unknown): number => {
  try {
    f();
  } catch (err) {
    return toErrorResponse(err).status;
  }
  return 200;
};

test('the guard requires the declared operation on every resource taken from the path', () => {
  const guard = guardFor(POLICY);
  const ok = { group: 'team-a.g', topic: 'team-a.t' };
  assert.equal(
    status(() => guard.canActivate(context('lag', ok, 'alice'))),
    200,
  );
  assert.equal(
    status(() => guard.canActivate(context('lag', { ...ok, topic: 'team-b.t' }, 'alice'))),
    403,
  );
  assert.equal(
    status(() => guard.canActivate(context('lag', { ...ok, group: 'team-b.g' }, 'alice'))),
    403,
  );
  assert.equal(
    status(() => guard.canActivate(context('lag', ok, 'bob'))),
    403,
  );
  assert.equal(
    status(() => guard.canActivate(context('lag', ok))),
    403,
    'anonymous has no grant',
  );
  assert.equal(
    status(() => guard.canActivate(context('brokerConfig', {}, 'alice'))),
    403,
  );
  assert.equal(
    status(() => guard.canActivate(context('ping', {}, 'bob'))),
    200,
  );
  assert.equal(
    status(() => guard.canActivate(context('undeclared', {}, 'alice'))),
    403,
    'fails closed',
  );
});

test('without a policy every route is allowed', () => {
  const guard = guardFor(null);
  assert.equal(
    status(() => guard.canActivate(context('brokerConfig', {}))),
    200,
  );
  assert.equal(
    status(() => guard.canActivate(context('undeclared', {}))),
    200,
  );
});
