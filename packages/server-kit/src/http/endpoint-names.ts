import type { IncomingMessage } from 'node:http';

/**
 * Every route of both gateways under the name Confluent's REST Proxy gives the same endpoint
 * (its `@ResourceName` values), so an `api.endpoints.allowlist` / `blocklist` written for
 * Confluent works here unchanged. A name is `<group>.<operation>`; `<group>.*` names the whole
 * group (Confluent's class-level name). The v2 produce and consume operations are named per
 * embedded format, as Confluent's are (one Java method per format), from Content-Type or Accept.
 */
export interface Endpoint {
  /** `api.v3.topics.delete`, `api.v2.produce-to-topic.avro`, ... */
  readonly name: string;
  /** `api.v3.topics.*`: the group the name belongs to. */
  readonly group: string;
  /** What quotas apply: produce requests and bytes, fetched bytes, or neither. */
  readonly kind: EndpointKind;
}

export type EndpointKind = 'produce' | 'fetch' | 'other';

/** `{format}` in a name: the embedded format of the request (produce) or response (consume). */
const FORMAT = '{format}';

/** [method, path template (`{}` is one path segment), name]. Literal segments before `{}`. */
const ROUTES: readonly (readonly [string, string, string])[] = [
  // v2 (producer gateway)
  ['GET', '/', 'api.v2.root.get'],
  ['POST', '/', 'api.v2.root.post'],
  ['GET', '/brokers', 'api.v2.brokers.list'],
  ['GET', '/topics', 'api.v2.topics.list'],
  ['GET', '/topics/{}', 'api.v2.topics.get'],
  ['POST', '/topics/{}', `api.v2.produce-to-topic.${FORMAT}`],
  ['GET', '/topics/{}/partitions', 'api.v2.partitions.list'],
  ['GET', '/topics/{}/partitions/{}', 'api.v2.partitions.get'],
  ['POST', '/topics/{}/partitions/{}', `api.v2.produce-to-partition.${FORMAT}`],
  ['GET', '/topics/{}/partitions/{}/offsets', 'api.v2.partitions.get-offsets'],
  // the v1 simple consumer, answered with a 404 that explains the v2 way (gateway-only name)
  ['GET', '/topics/{}/partitions/{}/messages', 'api.v1.partitions.consume'],
  // v2 consumers (consumer gateway)
  ['POST', '/consumers/{}', 'api.v2.consumers.create'],
  // the v1 consumer read, answered with a 404 that explains the v2 way (gateway-only name)
  ['GET', '/consumers/{}/instances/{}/topics/{}', 'api.v1.consumers.consume'],
  ['DELETE', '/consumers/{}/instances/{}', 'api.v2.consumers.delete'],
  ['POST', '/consumers/{}/instances/{}/subscription', 'api.v2.consumers.subscribe'],
  ['GET', '/consumers/{}/instances/{}/subscription', 'api.v2.consumers.get-subscription'],
  ['DELETE', '/consumers/{}/instances/{}/subscription', 'api.v2.consumers.unsubscribe'],
  ['POST', '/consumers/{}/instances/{}/assignments', 'api.v2.consumers.assign'],
  ['GET', '/consumers/{}/instances/{}/assignments', 'api.v2.consumers.get-assignments'],
  ['POST', '/consumers/{}/instances/{}/positions', 'api.v2.consumers.seek-to-offset'],
  ['POST', '/consumers/{}/instances/{}/positions/beginning', 'api.v2.consumers.seek-to-beginning'],
  ['POST', '/consumers/{}/instances/{}/positions/end', 'api.v2.consumers.seek-to-end'],
  ['GET', '/consumers/{}/instances/{}/records', `api.v2.consumers.consume-${FORMAT}`],
  ['POST', '/consumers/{}/instances/{}/offsets', 'api.v2.consumers.commit-offsets'],
  ['GET', '/consumers/{}/instances/{}/offsets', 'api.v2.consumers.get-committed-offsets'],
  // v3
  ['GET', '/v3/clusters', 'api.v3.clusters.list'],
  ['GET', '/v3/clusters/{}', 'api.v3.clusters.get'],
  ['GET', '/v3/clusters/{}/acls', 'api.v3.acls.list'],
  ['POST', '/v3/clusters/{}/acls', 'api.v3.acls.create'],
  ['DELETE', '/v3/clusters/{}/acls', 'api.v3.acls.delete'],
  ['GET', '/v3/clusters/{}/brokers', 'api.v3.brokers.list'],
  ['GET', '/v3/clusters/{}/brokers/-/configs', 'api.v3.brokers-configs.list'],
  ['GET', '/v3/clusters/{}/brokers/{}', 'api.v3.brokers.get'],
  ['GET', '/v3/clusters/{}/brokers/{}/configs', 'api.v3.broker-configs.list'],
  ['POST', '/v3/clusters/{}/brokers/{}/configs:alter', 'api.v3.broker-configs.alter'],
  ['GET', '/v3/clusters/{}/brokers/{}/configs/{}', 'api.v3.broker-configs.get'],
  ['PUT', '/v3/clusters/{}/brokers/{}/configs/{}', 'api.v3.broker-configs.update'],
  ['DELETE', '/v3/clusters/{}/brokers/{}/configs/{}', 'api.v3.broker-configs.delete'],
  // cluster-wide broker configs: Confluent's `{config_type}-configs` resource
  ['GET', '/v3/clusters/{}/broker-configs', 'api.v3.cluster-configs.list'],
  ['POST', '/v3/clusters/{}/broker-configs:alter', 'api.v3.cluster-configs.alter'],
  ['GET', '/v3/clusters/{}/broker-configs/{}', 'api.v3.cluster-configs.get'],
  ['PUT', '/v3/clusters/{}/broker-configs/{}', 'api.v3.cluster-configs.update'],
  ['DELETE', '/v3/clusters/{}/broker-configs/{}', 'api.v3.cluster-configs.delete'],
  ['GET', '/v3/clusters/{}/consumer-groups', 'api.v3.consumer-groups.list'],
  ['GET', '/v3/clusters/{}/consumer-groups/{}', 'api.v3.consumer-groups.get'],
  ['GET', '/v3/clusters/{}/consumer-groups/{}/consumers', 'api.v3.consumers.list'],
  ['GET', '/v3/clusters/{}/consumer-groups/{}/consumers/{}', 'api.v3.consumers.get'],
  [
    'GET',
    '/v3/clusters/{}/consumer-groups/{}/consumers/{}/assignments',
    'api.v3.consumer-assignments.list',
  ],
  ['GET', '/v3/clusters/{}/consumer-groups/{}/lags', 'api.v3.consumer-lags.list'],
  ['GET', '/v3/clusters/{}/consumer-groups/{}/lags/{}/partitions/{}', 'api.v3.consumer-lags.get'],
  [
    'GET',
    '/v3/clusters/{}/consumer-groups/{}/lag-summary',
    'api.v3.consumer-group-lag-summary.get',
  ],
  ['GET', '/v3/clusters/{}/topics', 'api.v3.topics.list'],
  ['POST', '/v3/clusters/{}/topics', 'api.v3.topics.create'],
  [
    'GET',
    '/v3/clusters/{}/topics/-/partitions/-/reassignment',
    'api.v3.partition-reassignments.list',
  ],
  ['GET', '/v3/clusters/{}/topics/{}', 'api.v3.topics.get'],
  ['PATCH', '/v3/clusters/{}/topics/{}', 'api.v3.topics.update'],
  ['DELETE', '/v3/clusters/{}/topics/{}', 'api.v3.topics.delete'],
  ['GET', '/v3/clusters/{}/topics/{}/configs', 'api.v3.topic-configs.list'],
  ['POST', '/v3/clusters/{}/topics/{}/configs:alter', 'api.v3.topic-configs.alter'],
  ['GET', '/v3/clusters/{}/topics/{}/configs/{}', 'api.v3.topic-configs.get'],
  ['PUT', '/v3/clusters/{}/topics/{}/configs/{}', 'api.v3.topic-configs.update'],
  ['DELETE', '/v3/clusters/{}/topics/{}/configs/{}', 'api.v3.topic-configs.delete'],
  ['GET', '/v3/clusters/{}/topics/{}/partitions', 'api.v3.partitions.list'],
  [
    'GET',
    '/v3/clusters/{}/topics/{}/partitions/-/reassignment',
    'api.v3.partition-reassignments.search-by-topic',
  ],
  ['GET', '/v3/clusters/{}/topics/{}/partitions/{}', 'api.v3.partitions.get'],
  [
    'GET',
    '/v3/clusters/{}/topics/{}/partitions/{}/reassignment',
    'api.v3.partition-reassignments.get',
  ],
  ['GET', '/v3/clusters/{}/topics/{}/partitions/{}/replicas', 'api.v3.replicas.list'],
  ['GET', '/v3/clusters/{}/topics/{}/partitions/{}/replicas/{}', 'api.v3.replicas.get'],
  ['POST', '/v3/clusters/{}/topics/{}/records', 'api.v3.produce.produce-to-topic'],
  ['POST', '/v3/clusters/{}/topics/{}/records:batch', 'api.v3.batch-produce.produce-to-topic'],
];

/** The embedded formats as Confluent's names spell them. */
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  binary: 'binary',
  json: 'json',
  avro: 'avro',
  jsonschema: 'json-schema',
  protobuf: 'protobuf',
};
const FORMAT_IN_TYPE = /vnd\.kafka\.(binary|json|avro|jsonschema|protobuf)\.v2\+json/i;

interface CompiledRoute {
  readonly method: string;
  readonly first: string;
  readonly pattern: RegExp;
  readonly name: string;
  readonly group: string;
  readonly kind: EndpointKind;
  /** Content-Type (produce) or Accept (consume) decides `{format}`; undefined: fixed name. */
  readonly formatFrom: 'content-type' | 'accept' | undefined;
}

const PRODUCE_GROUPS = new Set([
  'api.v2.produce-to-topic.*',
  'api.v2.produce-to-partition.*',
  'api.v3.produce.*',
  'api.v3.batch-produce.*',
]);

function compile([method, template, name]: readonly [string, string, string]): CompiledRoute {
  const body = template
    .split('/')
    .map((segment) => (segment === '{}' ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\-]/g, '\\$&')))
    .join('/');
  const group = `${name.slice(0, name.lastIndexOf('.'))}.*`;
  const kind: EndpointKind = PRODUCE_GROUPS.has(group)
    ? 'produce'
    : name.startsWith('api.v2.consumers.consume-')
      ? 'fetch'
      : 'other';
  return {
    method,
    first: firstSegment(template),
    // Express routes are not strict: a trailing slash reaches the same handler
    pattern: new RegExp(`^${body}/?$`),
    name,
    group,
    kind,
    formatFrom: !name.endsWith(FORMAT) ? undefined : kind === 'produce' ? 'content-type' : 'accept',
  };
}

/** `topics` of `/topics/x/partitions`, `` of `/`. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}

const COMPILED = ROUTES.map(compile);
/** By method and first path segment, so a lookup tests a handful of patterns, not all. */
const INDEX = new Map<string, CompiledRoute[]>();
for (const r of COMPILED) {
  const key = `${r.method} ${r.first}`;
  const list = INDEX.get(key) ?? [];
  list.push(r);
  INDEX.set(key, list);
}

/** Every endpoint name and group the gateways answer (for the docs and config checks). */
export const ENDPOINT_NAMES: readonly string[] = [
  ...new Set(
    COMPILED.flatMap((r) =>
      r.formatFrom === undefined
        ? [r.group, r.name]
        : [r.group, ...Object.values(FORMAT_NAMES).map((f) => r.name.replace(FORMAT, f))],
    ),
  ),
];

/** The endpoint a request is for, or undefined when no route of either gateway matches it. */
export function endpointOf(
  method: string | undefined,
  path: string,
  headers: IncomingMessage['headers'],
): Endpoint | undefined {
  const m = method === 'HEAD' ? 'GET' : (method ?? 'GET');
  const candidates = INDEX.get(`${m} ${firstSegment(path)}`);
  if (candidates === undefined) return undefined;
  for (const r of candidates) {
    if (!r.pattern.test(path)) continue;
    if (r.formatFrom === undefined) return r;
    const source = headers[r.formatFrom];
    const found = typeof source === 'string' ? FORMAT_IN_TYPE.exec(source) : null;
    const format = FORMAT_NAMES[found?.[1]?.toLowerCase() ?? 'binary'] ?? 'binary';
    return { name: r.name.replace(FORMAT, format), group: r.group, kind: r.kind };
  }
  return undefined;
}
