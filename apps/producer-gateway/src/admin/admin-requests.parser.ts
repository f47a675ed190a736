import { GatewayError } from '@kafka-gateway/server-kit';
import type { ConfigChange, NewTopic } from '../kafka/kafka-admin.service';

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
