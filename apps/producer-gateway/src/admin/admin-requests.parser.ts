import { GatewayError } from '@kafka-gateway/server-kit';
import {
  ACL_NAMES,
  type AclBinding,
  type AclFilterSpec,
  type ConfigChange,
  type NewTopic,
} from '../kafka/kafka-admin.service';

/**
 * Parsers of the v3 administration bodies, with Confluent's answers: no body → 422/42206
 * `Payload error. Request body is empty. Data is required.`, a field of the wrong JSON type →
 * 400, an unknown field → 422 `Unrecognized field: x`. Values Kafka itself judges (partition
 * count, replication factor, config names and values) are passed on so its verdict (40002) is
 * the one the client sees.
 */

const EMPTY = 'Payload error. Request body is empty. Data is required.';
// Kafka's own rule (Topic.validate): at most 249 of [a-zA-Z0-9._-], not "." or ".."
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function body(raw: unknown, fields: ReadonlySet<string>): Json {
  if (raw === undefined || raw === null) throw new GatewayError('payload_error', EMPTY);
  if (!isObject(raw))
    throw new GatewayError('invalid_request', 'Request body must be a JSON object');
  // the JSON body parser reads an empty body as {}: Confluent's "no data" either way
  if (Object.keys(raw).length === 0) throw new GatewayError('payload_error', EMPTY);
  for (const f in raw) {
    if (!fields.has(f))
      throw new GatewayError('unrecognized_field', `Unrecognized field: ${f.slice(0, 100)}`);
  }
  return raw;
}

function wrongType(field: string, expected: string): GatewayError {
  return new GatewayError('invalid_request', `Cannot deserialize value of ${field}: ${expected}`);
}

function optionalInt(o: Json, field: string, min: number, max: number): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw wrongType(field, `expected an integer in [${min}, ${max}]`);
  return v;
}

function optionalBool(o: Json, field: string): boolean {
  const v = o[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw wrongType(field, 'expected a boolean');
  return v;
}

function configName(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw wrongType(field, 'expected a non-empty string');
  return v;
}

function configValue(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw wrongType(field, 'expected a string or null');
  return v;
}

export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

const CREATE_FIELDS = new Set([
  'topic_name',
  'partitions_count',
  'replication_factor',
  'replicas_assignments',
  'configs',
  'validate_only',
]);

export function parseCreateTopic(raw: unknown): NewTopic {
  const o = body(raw, CREATE_FIELDS);
  const name = o['topic_name'];
  if (name !== undefined && name !== null && typeof name !== 'string')
    throw wrongType('topic_name', 'expected a string');
  if (typeof name !== 'string' || !isValidTopicName(name))
    throw new GatewayError('payload_error', 'Payload error. Invalid topic name.');
  const configsRaw = o['configs'];
  const configs: { name: string; value: string | null }[] = [];
  if (configsRaw !== undefined && configsRaw !== null) {
    if (!Array.isArray(configsRaw)) throw wrongType('configs', 'expected an array');
    configsRaw.forEach((c: unknown, i) => {
      if (!isObject(c)) throw wrongType(`configs[${i}]`, 'expected an object');
      for (const f in c) {
        if (f !== 'name' && f !== 'value')
          throw new GatewayError('unrecognized_field', `Unrecognized field: ${f.slice(0, 100)}`);
      }
      configs.push({
        name: configName(c['name'], `configs[${i}].name`),
        value: configValue(c['value'], `configs[${i}].value`),
      });
    });
  }
  let replicasAssignments: Map<number, number[]> | undefined;
  const ra = o['replicas_assignments'];
  if (ra !== undefined && ra !== null) {
    if (!isObject(ra)) throw wrongType('replicas_assignments', 'expected an object');
    replicasAssignments = new Map();
    for (const [partition, brokers] of Object.entries(ra)) {
      if (!/^\d{1,9}$/.test(partition))
        throw wrongType('replicas_assignments', 'partition ids must be integers');
      if (
        !Array.isArray(brokers) ||
        !brokers.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0)
      )
        throw wrongType(`replicas_assignments.${partition}`, 'expected an array of broker ids');
      replicasAssignments.set(Number(partition), brokers as number[]);
    }
  }
  return {
    name,
    // Kafka reads -1 as "the broker's default"; 0 and other negatives it refuses itself (40002)
    partitionsCount: optionalInt(o, 'partitions_count', -2_147_483_648, 2_147_483_647),
    replicationFactor: optionalInt(o, 'replication_factor', -32_768, 32_767),
    replicasAssignments,
    configs,
    validateOnly: optionalBool(o, 'validate_only'),
  };
}

const UPDATE_FIELDS = new Set(['value']);

/** `PUT .../configs/{name}` body `{"value": "..."}` (null resets to the default). */
export function parseUpdateConfig(name: string, raw: unknown): ConfigChange {
  const o = body(raw, UPDATE_FIELDS);
  const value = configValue(o['value'], 'value');
  return { name, operation: value === null ? 'DELETE' : 'SET', value };
}

const ALTER_FIELDS = new Set(['data', 'validate_only']);
const ALTER_ENTRY_FIELDS = new Set(['name', 'value', 'operation']);

/** `POST .../configs:alter` body `{"data": [{name, value?, operation?}], "validate_only"?}`. */
export function parseAlterConfigs(raw: unknown): {
  changes: ConfigChange[];
  validateOnly: boolean;
} {
  const o = body(raw, ALTER_FIELDS);
  const data = o['data'];
  if (data === undefined || data === null) throw new GatewayError('payload_error', EMPTY);
  if (!Array.isArray(data)) throw wrongType('data', 'expected an array');
  const changes = data.map((entry: unknown, i): ConfigChange => {
    if (!isObject(entry)) throw wrongType(`data[${i}]`, 'expected an object');
    for (const f in entry) {
      if (!ALTER_ENTRY_FIELDS.has(f))
        throw new GatewayError('unrecognized_field', `Unrecognized field: ${f.slice(0, 100)}`);
    }
    const op = entry['operation'];
    let operation: 'SET' | 'DELETE' = 'SET';
    if (op !== undefined && op !== null) {
      if (typeof op !== 'string' || !['SET', 'DELETE'].includes(op.toUpperCase()))
        throw wrongType(`data[${i}].operation`, 'expected SET or DELETE');
      operation = op.toUpperCase() as 'SET' | 'DELETE';
    }
    const value = configValue(entry['value'], `data[${i}].value`);
    return { name: configName(entry['name'], `data[${i}].name`), operation, value };
  });
  return { changes, validateOnly: optionalBool(o, 'validate_only') };
}

const PATCH_TOPIC_FIELDS = new Set(['partitions_count']);

/** `PATCH .../topics/{t}` body `{"partitions_count": N}` (Confluent's UpdatePartitionCountRequest). */
export function parsePatchTopic(raw: unknown): { partitionsCount: number } {
  const o = body(raw, PATCH_TOPIC_FIELDS);
  const count = optionalInt(o, 'partitions_count', -2_147_483_648, 2_147_483_647);
  if (count === undefined) throw new GatewayError('payload_error', EMPTY);
  return { partitionsCount: count };
}

type AclEnum = keyof typeof ACL_NAMES;

function aclEnum<K extends AclEnum>(
  kind: K,
  field: string,
  v: unknown,
  fallback: (typeof ACL_NAMES)[K][number] | undefined,
): (typeof ACL_NAMES)[K][number] {
  if ((v === undefined || v === null || v === '') && fallback !== undefined) return fallback;
  if (typeof v !== 'string') throw wrongType(field, 'expected a string');
  const names: readonly string[] = ACL_NAMES[kind];
  const name = v.toUpperCase();
  if (!names.includes(name))
    throw wrongType(field, `expected one of ${names.filter((n) => n !== 'UNKNOWN').join(', ')}`);
  return name as (typeof ACL_NAMES)[K][number];
}

/**
 * The ACL filter of `GET`/`DELETE /v3/clusters/{c}/acls` from its query parameters; absent
 * enums mean ANY and absent strings match anything. UNKNOWN is refused with Confluent's
 * message (which says ANY).
 */
export function parseAclFilter(query: Record<string, unknown>): AclFilterSpec {
  const str = (field: string): string | undefined => {
    const v = query[field];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw wrongType(field, 'expected a single value');
    return v;
  };
  const filter: AclFilterSpec = {
    resourceType: aclEnum('resourceType', 'resource_type', query['resource_type'], 'ANY'),
    resourceName: str('resource_name'),
    patternType: aclEnum('patternType', 'pattern_type', query['pattern_type'], 'ANY'),
    principal: str('principal'),
    host: str('host'),
    operation: aclEnum('operation', 'operation', query['operation'], 'ANY'),
    permission: aclEnum('permission', 'permission', query['permission'], 'ANY'),
  };
  if (filter.resourceType === 'UNKNOWN') throw badAcl('resource_type cannot be ANY');
  if (filter.patternType === 'UNKNOWN') throw badAcl('pattern_type cannot be UNKNOWN');
  if (filter.operation === 'UNKNOWN') throw badAcl('operation cannot be ANY');
  if (filter.permission === 'UNKNOWN') throw badAcl('permission cannot be ANY');
  return filter;
}

function badAcl(message: string): GatewayError {
  return new GatewayError('invalid_request', `Bad Request: ${message}`);
}

const ACL_FIELDS = new Set([
  'resource_type',
  'resource_name',
  'pattern_type',
  'principal',
  'host',
  'operation',
  'permission',
]);

/** `POST /v3/clusters/{c}/acls` body (Confluent's CreateAclRequest: every field required). */
export function parseCreateAcl(raw: unknown): AclBinding {
  const o = body(raw, ACL_FIELDS);
  const required = (field: string): string => {
    const v = o[field];
    if (v === undefined || v === null)
      throw new GatewayError('validation_failed', `${field} must not be null`);
    if (typeof v !== 'string') throw wrongType(field, 'expected a string');
    return v;
  };
  const acl: AclBinding = {
    resourceType: aclEnum('resourceType', 'resource_type', required('resource_type'), undefined),
    resourceName: required('resource_name'),
    patternType: aclEnum('patternType', 'pattern_type', required('pattern_type'), undefined),
    principal: required('principal'),
    host: required('host'),
    operation: aclEnum('operation', 'operation', required('operation'), undefined),
    permission: aclEnum('permission', 'permission', required('permission'), undefined),
  };
  if (acl.resourceType === 'ANY' || acl.resourceType === 'UNKNOWN')
    throw badAcl('resource_type cannot be ANY');
  if (acl.patternType === 'ANY' || acl.patternType === 'MATCH' || acl.patternType === 'UNKNOWN')
    throw badAcl(`pattern_type cannot be ${acl.patternType}`);
  if (acl.operation === 'ANY' || acl.operation === 'UNKNOWN')
    throw badAcl('operation cannot be ANY');
  if (acl.permission === 'ANY' || acl.permission === 'UNKNOWN')
    throw badAcl('permission cannot be ANY');
  return acl;
}
