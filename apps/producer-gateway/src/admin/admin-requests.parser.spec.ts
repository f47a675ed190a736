import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import { parseAclFilter, parseCreateAcl, parsePatchTopic } from './admin-requests.parser';

function failure(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return { code: e.code, message: e.message };
    throw e;
  }
  return undefined;
}

test('PATCH topic body: partitions_count, Confluent refusals', () => {
  assert.deepEqual(parsePatchTopic({ partitions_count: 4 }), { partitionsCount: 4 });
  assert.equal(failure(() => parsePatchTopic(undefined))?.code, 'payload_error');
  assert.equal(failure(() => parsePatchTopic({}))?.code, 'payload_error');
  assert.equal(failure(() => parsePatchTopic({ partitions_count: null }))?.code, 'payload_error');
  assert.equal(failure(() => parsePatchTopic({ partitions_count: '4' }))?.code, 'invalid_request');
  assert.equal(failure(() => parsePatchTopic({ partitions_count: 1.5 }))?.code, 'invalid_request');
  assert.deepEqual(
    failure(() => parsePatchTopic({ partitions_count: 4, name: 'x' })),
    {
      code: 'unrecognized_field',
      message: 'Unrecognized field: name',
    },
  );
});

test('ACL filter: absent enums are ANY, names case-insensitive, UNKNOWN refused', () => {
  assert.deepEqual(parseAclFilter({}), {
    resourceType: 'ANY',
    resourceName: undefined,
    patternType: 'ANY',
    principal: undefined,
    host: undefined,
    operation: 'ANY',
    permission: 'ANY',
  });
  const f = parseAclFilter({
    resource_type: 'topic',
    resource_name: 'orders',
    pattern_type: 'prefixed',
    principal: 'User:alice',
    host: '',
    operation: 'Describe_Configs',
    permission: 'allow',
  });
  assert.equal(f.resourceType, 'TOPIC');
  assert.equal(f.patternType, 'PREFIXED');
  assert.equal(f.operation, 'DESCRIBE_CONFIGS');
  assert.equal(f.permission, 'ALLOW');
  assert.equal(f.host, undefined, 'an empty string matches any host');
  assert.deepEqual(
    failure(() => parseAclFilter({ resource_type: 'UNKNOWN' })),
    {
      code: 'invalid_request',
      message: 'Bad Request: resource_type cannot be ANY',
    },
  );
  assert.equal(failure(() => parseAclFilter({ pattern_type: 'unknown' }))?.code, 'invalid_request');
  assert.equal(failure(() => parseAclFilter({ operation: 'fly' }))?.code, 'invalid_request');
  assert.equal(failure(() => parseAclFilter({ host: ['a', 'b'] }))?.code, 'invalid_request');
});

test('ACL create body: every field required, no wildcard enums', () => {
  const body = {
    resource_type: 'GROUP',
    resource_name: 'g',
    pattern_type: 'LITERAL',
    principal: 'User:bob',
    host: '*',
    operation: 'read',
    permission: 'DENY',
  };
  assert.deepEqual(parseCreateAcl(body), {
    resourceType: 'GROUP',
    resourceName: 'g',
    patternType: 'LITERAL',
    principal: 'User:bob',
    host: '*',
    operation: 'READ',
    permission: 'DENY',
  });
  assert.equal(failure(() => parseCreateAcl(undefined))?.code, 'payload_error');
  const { host: _host, ...noHost } = body;
  assert.equal(failure(() => parseCreateAcl(noHost))?.code, 'validation_failed');
  for (const [field, value, message] of [
    ['resource_type', 'ANY', 'resource_type cannot be ANY'],
    ['pattern_type', 'MATCH', 'pattern_type cannot be MATCH'],
    ['pattern_type', 'ANY', 'pattern_type cannot be ANY'],
    ['operation', 'ANY', 'operation cannot be ANY'],
    ['permission', 'ANY', 'permission cannot be ANY'],
  ] as const) {
    assert.deepEqual(
      failure(() => parseCreateAcl({ ...body, [field]: value })),
      {
        code: 'invalid_request',
        message: `Bad Request: ${message}`,
      },
    );
  }
  assert.equal(failure(() => parseCreateAcl({ ...body, extra: 1 }))?.code, 'unrecognized_field');
});
