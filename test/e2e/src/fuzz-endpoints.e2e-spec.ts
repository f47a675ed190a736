import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import {
  BINARY,
  createTopic,
  getWithRawBody,
  http,
  type HttpResult,
  kafka,
  stack,
  uid,
  V2,
} from './support';

// Structure-aware fuzzing of every endpoint family through the entry point (nginx → both
// gateways): request shapes close to valid ones (right field names, wrong types, out-of-range
// numbers, broken base64, unknown formats, hostile path segments and query values, wrong
// methods and media types). Every answer must be a Confluent error body or a success, never a
// 5xx; every gateway replica must be alive and ready at the end. FUZZ_RUNS sets the number of
// inputs (1,000 in `npm test`, 10,000 in the fault suite); FUZZ_SEED replays a failure.
//
// Left out on purpose: DELETE of v3 ACLs (an all-ANY filter would delete the ACLs the security
// suite relies on) and alterations of broker configs with real names (they would reconfigure
// the shared broker). Both keep their own targeted tests.
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 1000);
const SEED =
  process.env['FUZZ_SEED'] === undefined ? Date.now() % 2 ** 31 : Number(process.env['FUZZ_SEED']);
const FORMATS = ['binary', 'json', 'avro', 'jsonschema', 'protobuf'] as const;

let topic: string;
let cluster: string;
let group: string;
let instancePath: string;
const createdInstances: string[] = [];
const fuzzTopicPrefix = uid('fuzz');

const junkSegment = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '..',
    '%2e%2e',
    '%00',
    '%ZZ',
    '%',
    '%c0%af',
    ' ',
    '-1',
    'a'.repeat(300),
    '\u202e',
    '😀',
  ),
);
const segment = (valid: () => string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(null).map(() => valid()) },
    { weight: 2, arbitrary: junkSegment },
  );
const enc = (s: string): string => {
  try {
    // most junk is sent escaped; some raw (nginx and express must cope with both)
    return /%/.test(s) ? s : encodeURIComponent(s);
  } catch {
    return 'x';
  }
};
const number = fc.oneof(
  fc.integer({ min: -3, max: 5 }),
  fc.constantFrom(2 ** 31, 2 ** 53 + 1, -1e308, 1.5, Infinity),
  fc.constantFrom('0', '1', 'x', '', '99999999999999999999', '1e3'),
  fc.constant(null),
  fc.boolean(),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const b64 = fc.oneof(
  fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b).toString('base64')),
  fc.constantFrom('====', 'not base64!', '', 'YQ', 'YQ==='),
);
const field = fc.oneof(b64, anyJson, fc.constant(null), fc.string({ maxLength: 40 }));
const schemaText = fc.oneof(
  fc.constantFrom(
    '"string"',
    '{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}',
    '{"type":"object","properties":{"a":{"type":"integer"}}}',
    'syntax = "proto3"; message M { int64 a = 1; }',
    '{"type":',
    'message {',
  ),
  fc.string({ maxLength: 60 }),
);
const v2Records = fc.record(
  {
    records: fc.oneof(
      fc.array(fc.record({ key: field, value: field, partition: number }, { requiredKeys: [] }), {
        maxLength: 4,
      }),
      anyJson,
    ),
    value_schema: schemaText,
    key_schema: schemaText,
    value_schema_id: number,
    key_schema_id: number,
  },
  { requiredKeys: [] },
);
const mediaType = fc.oneof(
  fc.constantFrom(...FORMATS).map((f) => `application/vnd.kafka.${f}.v2+json`),
  fc.constantFrom(
    'application/vnd.kafka.v2+json',
    'application/vnd.kafka.binary.v1+json',
    'application/vnd.kafka.avro.v3+json',
    'application/json',
    'application/octet-stream',
    'text/plain',
    'application/vnd.kafka.binary.v2+json; charset=utf-16',
    '',
    '*/*',
    'application/vnd.kafka.',
  ),
);
const rawBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.anything().map((v) => {
      try {
        return JSON.stringify(v) ?? 'null';
      } catch {
        return '{}';
      }
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{',
      '[[[[',
      '{"records":[{"value":"' + 'A'.repeat(5000) + '"}]}',
      '\u0000',
      '',
    ),
  },
);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');
const query = fc.dictionary(
  fc.constantFrom('timeout', 'max_bytes', 'offset', 'count', 'resource_type', 'x', 'operation'),
  fc.oneof(
    fc.constantFrom('-1', 'abc', '0', '50', '1e2', '99999999999999999999', '', '%'),
    fc.string({ maxLength: 8 }),
  ),
  { maxKeys: 3 },
);

interface Req {
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly body?: string;
  /** GET with a JSON body (the committed-offsets query). */
  readonly getWithBody?: boolean;
}
const json = (v: unknown): string => JSON.stringify(v) ?? 'null';
const qs = (q: Record<string, string>): string => {
  const s = new URLSearchParams(q).toString();
  return s === '' ? '' : `?${s}`;
};

/** One request of each family, with structure-aware mutations. */
const request: fc.Arbitrary<Req> = fc.oneof(
  // v2 produce, to the topic and to a partition
  fc
    .record({
      t: segment(() => topic),
      ct: mediaType,
      body: fc.oneof(v2Records.map(json), rawBody),
    })
    .map(({ t, ct, body }) => ({
      method: 'POST',
      path: `/topics/${enc(t)}`,
      contentType: ct,
      body,
    })),
  fc
    .record({ t: segment(() => topic), p: number, ct: mediaType, body: v2Records.map(json) })
    .map(({ t, p, ct, body }) => ({
      method: 'POST',
      path: `/topics/${enc(t)}/partitions/${enc(String(p))}`,
      contentType: ct,
      body,
    })),
  // v2 metadata
  fc
    .record({
      t: segment(() => topic),
      p: number,
      tail: fc.constantFrom('', '/partitions', '/partitions/P', '/partitions/P/offsets'),
      accept: mediaType,
    })
    .map(({ t, p, tail, accept }) => ({
      method: 'GET',
      path: `/topics/${enc(t)}${tail.replace('P', enc(String(p)))}`,
      accept,
    })),
  fc
    .constantFrom('/topics', '/brokers', '/', '/v3/clusters')
    .map((path) => ({ method: 'GET', path })),
  // consumer instances: create, and every sub-resource of a live one
  fc
    .record({
      g: segment(() => group),
      body: fc.oneof(
        fc
          .record(
            {
              name: fc.oneof(
                fc.constant(null).map(() => uid('fz')),
                junkSegment,
                number,
              ),
              format: fc.oneof(fc.constantFrom(...FORMATS), fc.string({ maxLength: 8 }), number),
              'auto.offset.reset': fc.oneof(
                fc.constantFrom('earliest', 'latest', 'none', 'smallest'),
                number,
              ),
              'auto.commit.enable': fc.oneof(
                fc.constantFrom('true', 'false', 'maybe'),
                fc.boolean(),
              ),
              'fetch.min.bytes': number,
              'consumer.request.timeout.ms': fc.oneof(fc.constantFrom(100, -1, '200', 'x'), number),
            },
            { requiredKeys: [] },
          )
          .map(json),
        rawBody,
      ),
      ct: mediaType,
    })
    .map(({ g, body, ct }) => ({
      method: 'POST',
      path: `/consumers/${enc(g)}`,
      contentType: ct,
      body,
    })),
  fc
    .record({
      sub: fc.constantFrom(
        'subscription',
        'assignments',
        'positions',
        'positions/beginning',
        'positions/end',
        'offsets',
      ),
      m: fc.constantFrom('POST', 'GET', 'DELETE'),
      body: fc.oneof(
        fc
          .record(
            {
              topics: fc.oneof(
                fc.array(
                  segment(() => topic),
                  { maxLength: 3 },
                ),
                anyJson,
              ),
              topic_pattern: fc.oneof(fc.constantFrom('fuzz-.*', '(', '*', '[a-'), anyJson),
              partitions: fc.oneof(
                fc.array(
                  fc.record(
                    { topic: segment(() => topic), partition: number },
                    { requiredKeys: [] },
                  ),
                  { maxLength: 3 },
                ),
                anyJson,
              ),
              offsets: fc.oneof(
                fc.array(
                  fc.record(
                    {
                      topic: segment(() => topic),
                      partition: number,
                      offset: number,
                      metadata: anyJson,
                    },
                    { requiredKeys: [] },
                  ),
                  { maxLength: 3 },
                ),
                anyJson,
              ),
            },
            { requiredKeys: [] },
          )
          .map(json),
        rawBody,
      ),
      ct: mediaType,
      withBody: fc.boolean(),
    })
    .map(({ sub, m, body, ct, withBody }) => ({
      method: m,
      path: `${instancePath}/${sub}`,
      contentType: ct,
      body: m === 'POST' ? body : undefined,
      ...(m === 'GET' && sub === 'offsets' && withBody ? { getWithBody: true, body } : {}),
    })),
  fc
    .record({ q: query, accept: mediaType })
    .map(({ q, accept }) => ({ method: 'GET', path: `${instancePath}/records${qs(q)}`, accept })),
  fc
    .record({
      g: segment(() => group),
      i: junkSegment,
      tail: fc.constantFrom('', '/records', '/offsets', '/subscription', '/topics/t'),
    })
    .map(({ g, i, tail }) => ({
      method: tail === '' ? 'DELETE' : 'GET',
      path: `/consumers/${enc(g)}/instances/${enc(i)}${tail}`,
    })),
  // v3: topics, records, records:batch, configs, groups, ACL reads
  fc
    .record({
      body: fc.oneof(
        fc
          .record(
            {
              topic_name: fc.oneof(
                fc.constant(null).map(() => uid(fuzzTopicPrefix)),
                junkSegment,
                number,
              ),
              partitions_count: number,
              replication_factor: number,
              configs: fc.oneof(
                fc.array(
                  fc.record(
                    {
                      name: fc.oneof(
                        fc.constantFrom('cleanup.policy', 'retention.ms', 'x.y'),
                        fc.string({ maxLength: 10 }),
                      ),
                      value: fc.oneof(fc.string({ maxLength: 10 }), number),
                    },
                    { requiredKeys: [] },
                  ),
                  { maxLength: 2 },
                ),
                anyJson,
              ),
            },
            { requiredKeys: [] },
          )
          .map(json),
        rawBody,
      ),
    })
    .map(({ body }) => ({
      method: 'POST',
      path: `/v3/clusters/${cluster}/topics`,
      contentType: 'application/json',
      body,
    })),
  fc
    .record({
      t: segment(() => topic),
      batch: fc.boolean(),
      body: fc.oneof(
        fc
          .record(
            {
              partition_id: number,
              key: fc.oneof(
                fc.record(
                  {
                    type: fc.oneof(
                      fc.constantFrom('BINARY', 'JSON', 'STRING', 'AVRO', 'NOPE'),
                      number,
                    ),
                    data: field,
                    schema_id: number,
                  },
                  { requiredKeys: [] },
                ),
                anyJson,
              ),
              value: fc.oneof(
                fc.record(
                  {
                    type: fc.oneof(fc.constantFrom('BINARY', 'JSON', 'STRING', 'PROTOBUF'), number),
                    data: field,
                    schema: schemaText,
                    subject: fc.string({ maxLength: 10 }),
                  },
                  { requiredKeys: [] },
                ),
                anyJson,
              ),
              headers: fc.oneof(
                fc.array(
                  fc.record(
                    { name: fc.oneof(fc.string({ maxLength: 6 }), number), value: field },
                    { requiredKeys: [] },
                  ),
                  { maxLength: 3 },
                ),
                anyJson,
              ),
              timestamp: fc.oneof(fc.constantFrom('2026-12-02T00:00:00Z', 'yesterday'), number),
            },
            { requiredKeys: [] },
          )
          .map(json),
        rawBody,
      ),
    })
    .map(({ t, batch, body }) => ({
      method: 'POST',
      path: `/v3/clusters/${cluster}/topics/${enc(t)}/records${batch ? ':batch' : ''}`,
      contentType: 'application/json',
      body: batch ? `{"entries":[${body}]}` : body,
    })),
  fc
    .record({
      t: segment(() => topic),
      tail: fc.constantFrom(
        '',
        '/configs',
        '/partitions',
        '/partitions/0',
        '/partitions/0/replicas',
        '/configs:alter',
        '/configs/retention.ms',
      ),
      m: fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE'),
      body: fc.oneof(
        fc
          .record(
            {
              data: fc.array(
                fc.record(
                  {
                    name: fc.string({ maxLength: 10 }),
                    value: fc.oneof(fc.string({ maxLength: 5 }), number),
                    operation: fc.oneof(fc.constantFrom('SET', 'DELETE', 'APPEND'), number),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 2 },
              ),
              partitions_count: number,
              value: anyJson,
            },
            { requiredKeys: [] },
          )
          .map(json),
        rawBody,
      ),
    })
    .map(({ t, tail, m, body }) => ({
      // a topic is never deleted here: the fuzz topic must outlive the run
      method: m === 'DELETE' && tail === '' ? 'GET' : m,
      path: `/v3/clusters/${cluster}/topics/${enc(t)}${tail}`,
      contentType: 'application/json',
      body: m === 'GET' ? undefined : body,
    })),
  fc
    .record({
      c: segment(() => cluster),
      tail: fc.constantFrom(
        '',
        '/brokers',
        '/brokers/1',
        '/brokers/1/configs',
        '/broker-configs',
        '/consumer-groups',
        '/consumer-groups/G',
        '/consumer-groups/G/consumers',
        '/consumer-groups/G/lag-summary',
        '/consumer-groups/G/lags',
        '/topics/-/partitions/-/reassignment',
        '/acls',
      ),
      q: query,
    })
    .map(({ c, tail, q }) => ({
      method: 'GET',
      path: `/v3/clusters/${enc(c)}${tail.replace('G', enc(group))}${qs(q)}`,
    })),
  fc.record({ body: rawBody }).map(({ body }) => ({
    method: 'POST',
    path: `/v3/clusters/${cluster}/acls`,
    contentType: 'application/json',
    body,
  })),
  // any method on any family's path, any media type
  fc
    .record({
      m: method,
      path: fc.constantFrom(
        '/topics',
        '/topics/T',
        '/consumers/G',
        '/v3/clusters/C/topics',
        '/brokers',
        '/topics/T/partitions/0',
      ),
      ct: mediaType,
      body: rawBody,
    })
    .map(({ m, path, ct, body }) => ({
      method: m,
      path: path.replace('T', topic).replace('G', group).replace('C', cluster),
      contentType: ct,
      body: m === 'GET' || m === 'HEAD' ? undefined : body,
    })),
);

async function send(r: Req): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (r.contentType !== undefined && r.contentType !== '') headers['content-type'] = r.contentType;
  if (r.accept !== undefined && r.accept !== '') headers['accept'] = r.accept;
  if (r.getWithBody === true) return getWithRawBody(r.path, r.body ?? '', r.contentType || V2);
  // fetch() cannot send a body with GET or HEAD
  const body = r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body;
  return http(r.method, r.path, { headers, ...(body === undefined ? {} : { raw: body }) });
}

before(async () => {
  topic = await createTopic(2);
  const clusters = await http('GET', '/v3/clusters');
  cluster = (clusters.body as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
  group = uid('fuzz-group');
  const created = await http('POST', `/consumers/${group}`, {
    headers: { 'content-type': V2 },
    body: { name: 'fixed', format: 'binary', 'consumer.request.timeout.ms': 200 },
  });
  assert.equal(created.status, 200, created.text);
  instancePath = `/consumers/${group}/instances/fixed`;
  const sub = await http('POST', `${instancePath}/subscription`, {
    headers: { 'content-type': V2 },
    body: { topics: [topic] },
  });
  assert.equal(sub.status, 204, sub.text);
  const seed = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': BINARY },
    body: { records: [{ value: 'eA==' }] },
  });
  assert.equal(seed.status, 200, seed.text);
});

after(async () => {
  for (const path of [instancePath, ...createdInstances])
    await http('DELETE', path).catch(() => undefined);
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(fuzzTopicPrefix));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

test(`fuzz: ${RUNS} structure-aware requests over every endpoint family, no 5xx, gateways healthy (seed ${SEED})`, async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const res = await send(r);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (r.method === 'POST' && /^\/consumers\/[^/]+$/.test(r.path) && res.status === 200) {
        const uri = (res.body as { base_uri?: string }).base_uri;
        if (uri !== undefined) createdInstances.push(new URL(uri).pathname);
      }
      const where = `${r.method} ${r.path} [${r.contentType ?? ''}] ${r.body?.slice(0, 200) ?? ''}`;
      assert.ok(res.status < 500, `${res.status} for ${where}: ${res.text.slice(0, 300)}`);
      if (res.status >= 400 && r.method !== 'HEAD') {
        const body = res.body as { error_code?: unknown; message?: unknown } | undefined;
        assert.ok(
          body !== undefined &&
            Number.isInteger(body.error_code) &&
            typeof body.message === 'string',
          `${res.status} without a Confluent error body for ${where}: ${res.text.slice(0, 300)}`,
        );
      }
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true, includeErrorInReport: true },
  );
  console.log(
    `# fuzz statuses: ${[...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
  );
  // every replica of both gateways is still up and ready
  for (const url of [...stack.producerMetricsUrls, ...stack.consumerMetricsUrls]) {
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200, `${url}/readyz after the fuzz run`);
  }
});
