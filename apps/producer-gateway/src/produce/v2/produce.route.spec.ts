import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PATH_METADATA } from '@nestjs/common/constants';
import {
  Authorizer,
  createLogger,
  ErrorResponder,
  liveRoutes,
  MetricsService,
  PolicyFile,
  type RunningGateway,
  setPrincipal,
  startGateway,
} from '@kafka-gateway/server-kit';
import { OFFLINE_GATEWAY_ENV } from '@kafka-gateway/server-kit/testing';
import type { Request, Response } from 'express';
import pino from 'pino';
import { AppModule } from '../../app.module';
import { loadProducerConfig } from '../../config/producer.config';
import { InMemoryIdempotencyStore } from '../../idempotency/idempotency-store';
import { IdempotencyService } from '../../idempotency/idempotency.service';
import { ProduceController } from './produce.controller';
import {
  NEGOTIATED_PAIRS_KEPT,
  negotiatedPairs,
  negotiateProduce,
  V2ProduceHandler,
} from './produce.handler';
import { negotiateV2Json, produceFormat } from '@kafka-gateway/codec';
import { ProduceHotRoute, TO_PARTITION_PATH, TO_TOPIC_PATH } from './produce.route';
import type { ProduceResult, ProduceService } from './produce.service';

const BINARY = 'application/vnd.kafka.binary.v2+json';
const V2 = 'application/vnd.kafka.v2+json';

/** ProduceService as the handler sees it: records each call, answers offset 7. */
class FakeProduce implements Pick<ProduceService, 'produce'> {
  readonly calls: { topic: string; partition: number | undefined; format: string }[] = [];
  async produce(
    topic: string,
    partition: number | undefined,
    format: string,
  ): Promise<ProduceResult> {
    this.calls.push({ topic, partition, format });
    return {
      status: 200,
      body: {
        offsets: [{ partition: partition ?? 0, offset: 7, error_code: null, error: null }],
        key_schema_id: null,
        value_schema_id: null,
      },
    };
  }
}

/** The parts of an Express response the hot route and ErrorResponder write. */
class FakeResponse {
  statusCode = 200;
  headersSent = false;
  readonly headers = new Map<string, unknown>();
  body: string | undefined;
  setHeader(name: string, value: unknown): this {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  end(text: string): void {
    this.body = text;
    this.headersSent = true;
  }
  destroy(): void {
    throw new Error('not expected');
  }
}

const POLICY = `grants:
  - principals: [alice]
    operations: [produce]
    topics: ["team-a.*"]
`;

function setup(options: { policy?: string; hotRoute?: boolean } = {}) {
  const logger = pino({ enabled: false });
  const metrics = new MetricsService('producer-gateway');
  const config = loadProducerConfig({
    ...OFFLINE_GATEWAY_ENV,
    PRODUCE_HOT_ROUTE: String(options.hotRoute ?? true),
  });
  const idempotency = new IdempotencyService(
    new InMemoryIdempotencyStore(1 << 20),
    config,
    logger,
    metrics,
  );
  let keyedRuns = 0;
  const run = idempotency.run.bind(idempotency);
  idempotency.run = (...args) => {
    keyedRuns++;
    return run(...args);
  };
  const produce = new FakeProduce();
  const policy =
    options.policy === undefined
      ? null
      : new PolicyFile('p', logger, { stamp: () => '1', read: () => options.policy ?? '' });
  const route = new ProduceHotRoute(
    new V2ProduceHandler(produce as unknown as ProduceService, idempotency),
    new Authorizer(policy, logger),
    new ErrorResponder(logger, metrics),
    config,
  );
  const call = async (
    req: {
      headers?: Record<string, string>;
      params?: Record<string, string>;
      path?: string;
      who?: string;
    },
    toPartition = false,
  ): Promise<FakeResponse> => {
    const res = new FakeResponse();
    const request = {
      method: 'POST',
      path: req.path ?? '/topics/team-a.t',
      headers: { 'content-type': BINARY, ...req.headers },
      params: req.params ?? { topic: 'team-a.t' },
      body: { records: [{ value: 'AA==' }] },
    };
    if (req.who !== undefined) {
      setPrincipal(request as never, { name: req.who, groups: [], mechanism: 'basic' });
    }
    await route.serve(request as unknown as Request, res as unknown as Response, toPartition);
    return res;
  };
  return { route, produce, call, keyedRuns: () => keyedRuns };
}

const json = (res: FakeResponse): unknown => JSON.parse(res.body ?? 'null');

test('hot route: the answer Express would write, and no idempotency work without a key', async () => {
  const s = setup();
  const res = await s.call({});
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers.get('content-type'), V2);
  assert.equal(res.headers.get('content-length'), Buffer.byteLength(res.body ?? ''));
  assert.deepEqual(json(res), {
    offsets: [{ partition: 0, offset: 7, error_code: null, error: null }],
    key_schema_id: null,
    value_schema_id: null,
  });
  assert.deepEqual(s.produce.calls, [
    { topic: 'team-a.t', partition: undefined, format: 'binary' },
  ]);
  assert.equal(s.keyedRuns(), 0, 'IdempotencyService is not called for a request without a key');
  assert.equal(res.headers.has('idempotent-replayed'), false);
});

test('hot route: 415 before 406, as Confluent error bodies, and nothing is produced', async () => {
  const s = setup();
  const both = await s.call({ headers: { 'content-type': 'text/plain', accept: 'image/png' } });
  assert.equal(both.statusCode, 415);
  assert.equal((json(both) as { error_code: number }).error_code, 415);
  const accept = await s.call({ headers: { accept: 'image/png' } });
  assert.equal(accept.statusCode, 406);
  assert.equal((json(accept) as { error_code: number }).error_code, 406);
  assert.equal(accept.headers.get('content-type'), V2);
  assert.equal(s.produce.calls.length, 0);
});

test("hot route: the controller's @Authorize is enforced first (403 before 415)", async () => {
  const s = setup({ policy: POLICY });
  const denied = await s.call({ who: 'bob', headers: { 'content-type': 'text/plain' } });
  assert.equal(denied.statusCode, 403);
  assert.equal((json(denied) as { error_code: number }).error_code, 40301);
  const other = await s.call({ who: 'alice', params: { topic: 'team-b.t' } });
  assert.equal(other.statusCode, 403);
  const allowed = await s.call({ who: 'alice' });
  assert.equal(allowed.statusCode, 200);
  assert.equal(s.produce.calls.length, 1);
});

test('hot route: a partition path passes its number; a bad segment is a 404', async () => {
  const s = setup();
  const ok = await s.call({ params: { topic: 'team-a.t', partition: '2' } }, true);
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(s.produce.calls, [{ topic: 'team-a.t', partition: 2, format: 'binary' }]);
  const bad = await s.call({ params: { topic: 'team-a.t', partition: 'x' } }, true);
  assert.equal(bad.statusCode, 404);
  assert.equal(s.produce.calls.length, 1);
});

test('hot route: with an Idempotency-Key the retry gets the stored answer, produced once', async () => {
  const s = setup();
  const first = await s.call({ headers: { 'idempotency-key': 'k-1' } });
  const retry = await s.call({ headers: { 'idempotency-key': 'k-1' } });
  assert.equal(first.statusCode, 200);
  assert.equal(first.headers.has('idempotent-replayed'), false);
  assert.equal(retry.statusCode, 200);
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.equal(retry.body, first.body);
  assert.equal(s.produce.calls.length, 1);
  assert.equal(s.keyedRuns(), 2);
  const invalid = await s.call({ headers: { 'idempotency-key': '' } });
  assert.equal(invalid.statusCode, 400);
  assert.equal(s.produce.calls.length, 1);
});

test("hot route paths are the controller's, and PRODUCE_HOT_ROUTE=false registers none", () => {
  const base = Reflect.getMetadata(PATH_METADATA, ProduceController) as string;
  const sub = (name: 'toTopic' | 'toPartition'): string => {
    const handler: unknown = Object.getOwnPropertyDescriptor(
      ProduceController.prototype,
      name,
    )?.value;
    return Reflect.getMetadata(PATH_METADATA, handler as object) as string;
  };
  assert.equal(TO_TOPIC_PATH, `/${base}/${sub('toTopic')}`);
  assert.equal(TO_PARTITION_PATH, `/${base}/${sub('toPartition')}`);
  assert.deepEqual(
    setup()
      .route.routes()
      .map((r) => `${r.method} ${r.path}`),
    [`post ${TO_TOPIC_PATH}`, `post ${TO_PARTITION_PATH}`],
  );
  assert.deepEqual(setup({ hotRoute: false }).route.routes(), []);
});

// The whole app (no Kafka needed), once with the hot route and once without: the answers that
// need no Kafka (media types, a bad partition segment, a bad Idempotency-Key, a bad body) are
// the same bytes, status and headers either way, and they are labelled with the same route.
const gateways: Record<'hot' | 'nest', RunningGateway | undefined> = {
  hot: undefined,
  nest: undefined,
};

before(async () => {
  for (const variant of ['hot', 'nest'] as const) {
    const config = loadProducerConfig({
      ...OFFLINE_GATEWAY_ENV,
      PRODUCE_HOT_ROUTE: String(variant === 'hot'),
    });
    const logger = createLogger(`producer-gateway-${variant}`, 'silent');
    gateways[variant] = await startGateway({
      rootModule: AppModule.forRoot(config, logger),
      config,
      logger,
      handleSignals: false,
      hotRoutes: (app) => app.get(ProduceHotRoute).routes(),
    });
  }
});

after(async () => {
  await gateways.hot?.shutdown('test end');
  await gateways.nest?.shutdown('test end');
});

const VARYING = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

async function answer(
  gw: RunningGateway | undefined,
  path: string,
  headers: Record<string, string>,
  body: string,
) {
  assert.ok(gw !== undefined);
  const res = await fetch(`http://127.0.0.1:${gw.port}${path}`, { method: 'POST', headers, body });
  const kept = [...res.headers.entries()].filter(([k]) => !VARYING.has(k));
  return { status: res.status, headers: kept, body: await res.text() };
}

test('the hot route and the Nest controller answer alike (no Kafka needed)', async () => {
  // the hot gateway serves POST /topics/:topic twice (hot route first), the other once
  const produceRoutes = (gw: RunningGateway | undefined): number =>
    gw === undefined
      ? 0
      : liveRoutes(gw.app).filter((r) => r.method === 'post' && r.path === TO_TOPIC_PATH).length;
  assert.equal(produceRoutes(gateways.hot), 2);
  assert.equal(produceRoutes(gateways.nest), 1);
  const record = '{"records":[{"value":"AA=="}]}';
  const cases: [string, Record<string, string>, string][] = [
    ['/topics/t', { 'content-type': 'text/plain' }, 'x'],
    ['/topics/t', { 'content-type': BINARY, accept: 'image/png' }, record],
    ['/topics/t/partitions/x', { 'content-type': BINARY }, record],
    ['/topics/t', { 'content-type': BINARY, 'idempotency-key': 'k'.repeat(300) }, record],
    ['/topics/t', { 'content-type': BINARY }, '{"records":'],
  ];
  for (const [path, headers, body] of cases) {
    const hot = await answer(gateways.hot, path, headers, body);
    const nest = await answer(gateways.nest, path, headers, body);
    assert.ok(
      hot.status >= 400 && hot.status < 500,
      `${path} ${JSON.stringify(headers)}: ${hot.status}`,
    );
    assert.deepEqual(hot, nest, `${path} ${JSON.stringify(headers)}`);
  }
  const counts = async (gw: RunningGateway | undefined): Promise<string[]> => {
    const res = await fetch(`http://127.0.0.1:${gw?.managementPort ?? 0}/metrics`);
    return (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes('POST'));
  };
  const hotCounts = await counts(gateways.hot);
  assert.ok(
    hotCounts.some((l) => l.includes('route="/topics/:topic",status="415"')),
    hotCounts.join(),
  );
  assert.deepEqual(hotCounts, await counts(gateways.nest));
});

test('negotiateProduce remembers accepted header pairs (bounded); refusals are thrown every time', () => {
  const pairs: [string | undefined, string | undefined][] = [
    [BINARY, undefined],
    [BINARY, ''],
    [undefined, undefined],
    ['', undefined],
    [undefined, ''],
    ['application/vnd.kafka.avro.v2+json', 'application/json'],
    ['application/vnd.kafka.json.v2+json; charset=utf-8', '*/*'],
  ];
  for (const [ct, accept] of pairs) {
    const headers = { 'content-type': ct, accept };
    const fresh = (() => {
      try {
        return { format: produceFormat(ct), responseType: negotiateV2Json(accept) };
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    })();
    for (let i = 0; i < 2; i++) {
      let got: unknown;
      try {
        got = negotiateProduce(headers);
      } catch (err) {
        got = err instanceof Error ? err.message : String(err);
      }
      assert.deepEqual(got, fresh, `${String(ct)} / ${String(accept)} (call ${i + 1})`);
    }
  }
  for (let i = 0; i < 3; i++) {
    assert.throws(
      () => negotiateProduce({ 'content-type': 'text/plain' }),
      /415|not supported|Content-Type|media/i,
    );
    assert.throws(() => negotiateProduce({ 'content-type': BINARY, accept: 'image/png' }));
  }
  for (let i = 0; i < NEGOTIATED_PAIRS_KEPT + 10; i++) {
    negotiateProduce({ 'content-type': BINARY, accept: `application/json;x=${i}` });
  }
  assert.ok(negotiatedPairs() <= NEGOTIATED_PAIRS_KEPT, String(negotiatedPairs()));
});
