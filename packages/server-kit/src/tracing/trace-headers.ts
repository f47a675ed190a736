import {
  context,
  type Context,
  type Link,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** W3C Trace Context header names (HTTP and Kafka record headers alike). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** A span's context as record headers: one Buffer each, shared by every record of a send. */
export interface TraceHeaders {
  readonly traceparent: Buffer;
  readonly tracestate: Buffer | undefined;
}

/** A record's producer context as read from its headers (strings; parsed when linked). */
export interface RecordTraceContext {
  readonly traceparent: string;
  readonly tracestate: string | undefined;
}

const propagator = new W3CTraceContextPropagator();

type Carrier = Record<string, string | string[] | undefined>;

const getter: TextMapGetter<Carrier> = {
  keys: (c) => Object.keys(c),
  get: (c, key) => c[key],
};
const setter: TextMapSetter<Record<string, string | string[]>> = {
  set: (c, key, value) => {
    c[key] = value;
  },
};

/** The caller's context from HTTP-style headers (lower-case names), or the root context. */
export function extractContext(headers: Carrier): Context {
  return propagator.extract(ROOT_CONTEXT, headers, getter);
}

/** Writes `traceparent` (and `tracestate`) of the context into HTTP headers, replacing any. */
export function injectContext(ctx: Context, headers: Record<string, string | string[]>): void {
  propagator.inject(ctx, headers, setter);
}

/** The record headers of a context, or undefined when it holds no valid span. */
export function traceHeadersOf(ctx: Context): TraceHeaders | undefined {
  const out: Record<string, string> = {};
  propagator.inject(ctx, out, setter);
  const parent = out[TRACEPARENT];
  if (parent === undefined) return undefined;
  const state = out[TRACESTATE];
  return {
    traceparent: Buffer.from(parent, 'latin1'),
    tracestate: state === undefined ? undefined : Buffer.from(state, 'latin1'),
  };
}

/** Whether the record headers already name a `traceparent` (any letter case). */
function hasTraceparent(headers: Readonly<Record<string, unknown>>): boolean {
  for (const name of Object.keys(headers)) if (name.toLowerCase() === TRACEPARENT) return true;
  return false;
}

/**
 * Records with the trace headers added. A record whose headers already carry a `traceparent`
 * (a v3 client that propagates its own context) is left as it is: the client's context is the
 * one its consumers should follow, and a record never carries two.
 */
export function withTraceHeaders<
  R extends { readonly headers?: Readonly<Record<string, Buffer[]>> },
>(records: readonly R[], h: TraceHeaders): R[] {
  const parent = [h.traceparent];
  const state = h.tracestate === undefined ? undefined : [h.tracestate];
  return records.map((r) => {
    const own = r.headers;
    if (own !== undefined && hasTraceparent(own)) return r;
    const headers: Record<string, Buffer[]> = { ...own, [TRACEPARENT]: parent };
    if (state !== undefined) headers[TRACESTATE] = state;
    return { ...r, headers };
  });
}

/** A link to a record's producer span, or undefined when its `traceparent` is not valid. */
export function linkOf(rc: RecordTraceContext): Link | undefined {
  const carrier: Carrier = { [TRACEPARENT]: rc.traceparent, [TRACESTATE]: rc.tracestate };
  const sc = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, getter));
  return sc === undefined || !trace.isSpanContextValid(sc) ? undefined : { context: sc };
}

/** The active context (the current request's span under the async context manager). */
export function activeContext(): Context {
  return context.active();
}
