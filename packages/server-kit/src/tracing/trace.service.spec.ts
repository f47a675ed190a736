import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { NextFunction, Request, Response } from 'express';
import { EnvReader } from '../config/env-reader';
import { readTracingConfig, type TracingConfig } from '../config/tracing.config';
import { TraceService } from './trace.service';
import { withTraceHeaders } from './trace-headers';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
const CLIENT_PARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
const OTHER_PARENT = '00-11111111111111111111111111111111-2222222222222222-01';

function config(env: Record<string, string>): TracingConfig {
  const r = new EnvReader(env);
  const c = readTracingConfig(r);
  r.done();
  return c;
}

/** Tracing on, exporting into an array (flushed by shutdown). */
function traced(env: Record<string, string> = {}) {
  const spans: ReadableSpan[] = [];
  const exporter: SpanExporter = {
    export: (batch, done) => {
      spans.push(...batch);
      done({ code: 0 });
    },
    shutdown: async () => undefined,
  };
  const tracing = new TraceService(
    config({ TRACING_ENABLED: 'true', ...env }),
    'test-gateway',
    exporter,
  );
  return { tracing, spans };
}

/** A request through the middleware; `finish` ends it with a status. */
function exchange(tracing: TraceService, headers: Record<string, string>) {
  const req = Object.assign(new EventEmitter(), {
    method: 'POST',
    headers,
    params: {},
    route: undefined as { path: string } | undefined,
  });
  const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: false });
  let nextCalled = false;
  tracing.httpMiddleware()!(
    req as unknown as Request,
    res as unknown as Response,
    (() => {
      nextCalled = true;
    }) as NextFunction,
  );
  assert.ok(nextCalled);
  const finish = (status: number, route = '/topics/:topic', topic = 't1'): void => {
    req.route = { path: route };
    req.params = { topic };
    res.statusCode = status;
    res.writableFinished = true;
    res.emit('close');
  };
  return { req: req as unknown as Request, finish };
}

test('off: no middleware, no spans, no headers, nothing injected', async () => {
  for (const c of [undefined, config({}), config({ OTEL_TRACES_EXPORTER: 'none' })]) {
    const tracing = new TraceService(c, 'test-gateway');
    assert.equal(tracing.enabled, false);
    assert.equal(tracing.httpMiddleware(), undefined);
    assert.equal(tracing.startProduce('t', 1), undefined);
    assert.equal(tracing.startFetch('g'), undefined);
    const headers: Record<string, string> = { traceparent: CLIENT_PARENT };
    tracing.inject({} as Request, headers);
    assert.deepEqual(headers, { traceparent: CLIENT_PARENT });
    await tracing.shutdown();
  }
});

test('a request span continues the caller trace, named by route template, with status', async () => {
  const { tracing, spans } = traced();
  exchange(tracing, { traceparent: CLIENT_PARENT }).finish(200);
  exchange(tracing, {}).finish(503, '/topics/:topic/partitions/:partition', 't2');
  await tracing.shutdown();
  assert.equal(spans.length, 2);
  const [ok, failed] = spans;
  assert.equal(ok!.name, 'POST /topics/:topic');
  assert.equal(ok!.kind, SpanKind.SERVER);
  assert.equal(ok!.spanContext().traceId, CLIENT_TRACE);
  assert.equal(ok!.parentSpanContext?.spanId, CLIENT_SPAN);
  assert.equal(ok!.attributes['http.route'], '/topics/:topic');
  assert.equal(ok!.attributes['http.response.status_code'], 200);
  assert.equal(ok!.attributes['messaging.destination.name'], 't1');
  assert.equal(ok!.status.code, SpanStatusCode.UNSET);
  assert.equal(failed!.name, 'POST /topics/:topic/partitions/:partition');
  assert.notEqual(failed!.spanContext().traceId, CLIENT_TRACE, 'no caller: a new trace');
  assert.equal(failed!.status.code, SpanStatusCode.ERROR);
  assert.equal(failed!.attributes['error.type'], '503');
});

test('a produce span is a child of the request span; its traceparent goes into the records', async () => {
  const { tracing, spans } = traced();
  const { req, finish } = exchange(tracing, { traceparent: CLIENT_PARENT });
  const produce = tracing.startProduce('orders', 2, req)!;
  const header = produce.headers!.traceparent.toString();
  produce.end(1);
  finish(200);
  await tracing.shutdown();
  const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
  const producer = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
  assert.equal(producer.name, 'send orders');
  assert.equal(producer.parentSpanContext?.spanId, server.spanContext().spanId);
  assert.equal(producer.spanContext().traceId, CLIENT_TRACE);
  assert.equal(header, `00-${CLIENT_TRACE}-${producer.spanContext().spanId}-01`);
  assert.equal(producer.attributes['messaging.batch.message_count'], 2);
  assert.equal(producer.attributes['kafka_gateway.failed_records'], 1);
});

test('TRACING_RECORD_HEADERS=false: a produce span but no record headers', async () => {
  const { tracing, spans } = traced({ TRACING_RECORD_HEADERS: 'false' });
  const produce = tracing.startProduce('orders', 1)!;
  assert.equal(produce.headers, undefined);
  produce.end(0, new Error('boom'));
  await tracing.shutdown();
  assert.equal(spans.length, 1);
  assert.equal(spans[0]!.status.code, SpanStatusCode.ERROR);
});

test('a fetch span links each record producer context, bounded, invalid ones ignored', async () => {
  const { tracing, spans } = traced({ TRACING_MAX_LINKS: '2' });
  const fetch = tracing.startFetch('group-1')!;
  fetch.link({ traceparent: 'not-a-traceparent', tracestate: undefined });
  fetch.link({ traceparent: CLIENT_PARENT, tracestate: 'vendor=1' });
  fetch.link({ traceparent: OTHER_PARENT, tracestate: undefined });
  fetch.link({ traceparent: CLIENT_PARENT, tracestate: undefined });
  fetch.end(4);
  await tracing.shutdown();
  assert.equal(spans.length, 1);
  const s = spans[0]!;
  assert.equal(s.kind, SpanKind.CONSUMER);
  assert.equal(s.name, 'poll group-1');
  assert.deepEqual(
    s.links.map((l) => `${l.context.traceId}/${l.context.spanId}`),
    [`${CLIENT_TRACE}/${CLIENT_SPAN}`, '11111111111111111111111111111111/2222222222222222'],
  );
  assert.equal(s.links[0]!.context.traceState?.get('vendor'), '1');
});

test('forwarding: the request span context replaces the caller traceparent', async () => {
  const { tracing, spans } = traced();
  const { req, finish } = exchange(tracing, { traceparent: CLIENT_PARENT });
  const headers: Record<string, string | string[]> = { traceparent: CLIENT_PARENT };
  tracing.inject(req, headers);
  finish(200);
  await tracing.shutdown();
  const server = spans[0]!.spanContext();
  assert.equal(headers['traceparent'], `00-${CLIENT_TRACE}-${server.spanId}-01`);
});

test('record headers: added to every record, a client-set traceparent (any case) is kept', () => {
  const h = { traceparent: Buffer.from(CLIENT_PARENT), tracestate: Buffer.from('a=1') };
  const own = { Traceparent: [Buffer.from(OTHER_PARENT)] };
  const records: { partition: number; headers?: Record<string, Buffer[]> }[] = [
    { partition: 0 },
    { partition: 1, headers: { x: [Buffer.from('1')] } },
    { partition: 2, headers: own },
  ];
  const out = withTraceHeaders(records, h);
  assert.equal(out[0]!.headers?.['traceparent']?.[0], h.traceparent);
  assert.equal(out[0]!.headers?.['tracestate']?.[0], h.tracestate);
  assert.equal(out[1]!.headers?.['x']?.[0]?.toString(), '1');
  assert.equal(out[1]!.headers?.['traceparent']?.[0], h.traceparent, 'one Buffer shared');
  assert.equal(out[2], records[2], 'left as it is');
  assert.equal(records[0]!.headers, undefined, 'the input is not changed');
});

test('config: standard variables, endpoint derivation, sampler ratio and header checks', () => {
  assert.equal(config({ OTEL_TRACES_EXPORTER: 'otlp' }).enabled, true);
  assert.equal(config({}).enabled, false);
  assert.equal(config({}).endpoint, 'http://localhost:4318/v1/traces');
  assert.equal(
    config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).endpoint,
    'http://collector:4318/v1/traces',
  );
  assert.equal(
    config({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://other:4318/custom',
    }).endpoint,
    'http://other:4318/custom',
  );
  assert.equal(config({ OTEL_TRACES_SAMPLER_ARG: '0.25' }).sampleRatio, 0.25);
  assert.throws(() => config({ OTEL_TRACES_SAMPLER_ARG: '2' }), /OTEL_TRACES_SAMPLER_ARG/);
  const bad = (): TracingConfig => config({ OTEL_EXPORTER_OTLP_HEADERS: 'token-without-name' });
  assert.throws(bad, (err: Error) => {
    assert.match(err.message, /OTEL_EXPORTER_OTLP_HEADERS must be/);
    assert.doesNotMatch(err.message, /token-without-name/, 'the value is never repeated');
    return true;
  });
  const h = config({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc' }).exporterHeaders;
  assert.equal(String(h), '[redacted]');
});
