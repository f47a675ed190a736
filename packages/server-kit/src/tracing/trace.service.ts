import type { IncomingMessage } from 'node:http';
import {
  context,
  type Context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
} from '@opentelemetry/semantic-conventions';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parseOtlpHeaders, type TracingConfig } from '../config/tracing.config';
import { requestId } from '../http/request-log.middleware';
import { methodLabel } from '../metrics/metrics.service';
import {
  extractContext,
  injectContext,
  linkOf,
  type RecordTraceContext,
  type TraceHeaders,
  traceHeadersOf,
} from './trace-headers';

// Messaging attribute names of the OpenTelemetry semantic conventions (still "development" there,
// so copied as the conventions package advises instead of importing its unstable entry point).
const MESSAGING_SYSTEM = 'messaging.system';
const MESSAGING_DESTINATION = 'messaging.destination.name';
const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const MESSAGING_BATCH_COUNT = 'messaging.batch.message_count';
const MESSAGING_CONSUMER_GROUP = 'messaging.consumer.group.name';
/** The request id of the access log (X-Request-Id), so a span and a log line can be joined. */
const REQUEST_ID = 'http.request.header.x-request-id';
/** Failed records of a produce (per-record failures do not fail the whole request). */
const FAILED_RECORDS = 'kafka_gateway.failed_records';

/** How long a graceful shutdown waits for the last spans to reach the collector. */
const EXPORT_TIMEOUT_MS = 5000;

const SPAN = Symbol('traceSpanContext');
type WithSpan = IncomingMessage & { [SPAN]?: Context };

/** The per-request or per-batch produce span; `headers` go into each record (undefined: none). */
export interface ProduceTrace {
  readonly headers: TraceHeaders | undefined;
  end(failedRecords: number, error?: unknown): void;
}

/** The consumer span of one fetch: linked to the producer context of each record returned. */
export interface FetchTrace {
  /** Adds a record's producer context (up to TRACING_MAX_LINKS; invalid ones ignored). */
  link(rc: RecordTraceContext): void;
  end(records: number, error?: unknown): void;
}

let contextManagerSet = false;

/** Async context propagation for the whole process (one manager, shared by every gateway). */
function ensureContextManager(): void {
  if (contextManagerSet) return;
  contextManagerSet = context.setGlobalContextManager(
    new AsyncLocalStorageContextManager().enable(),
  );
}

function errorType(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

/**
 * OpenTelemetry tracing of one gateway: the one home of the SDK. Off (TRACING_ENABLED unset)
 * it installs nothing and every method returns undefined at once, so the hot path pays one
 * boolean test. On, spans go through a batch span processor to an OTLP/HTTP exporter. The
 * provider is not registered globally: two gateways in one process keep their own service
 * names, and nothing else in the process starts exporting by accident.
 */
export class TraceService {
  readonly enabled: boolean;
  private readonly tracer: Tracer | undefined;
  private readonly provider: BasicTracerProvider | undefined;
  private readonly recordHeaders: boolean;
  private readonly maxLinks: number;

  constructor(
    config: TracingConfig | undefined,
    service: string,
    /** Tests pass an in-memory exporter. */
    exporter?: SpanExporter,
  ) {
    this.enabled = config?.enabled === true;
    this.recordHeaders = config?.recordHeaders ?? false;
    this.maxLinks = config?.maxLinks ?? 0;
    if (config === undefined || !config.enabled) return;
    ensureContextManager();
    const secret = config.exporterHeaders;
    const spanExporter =
      exporter ??
      new OTLPTraceExporter({
        url: config.endpoint,
        timeoutMillis: EXPORT_TIMEOUT_MS,
        // read at every export, so a rotated token file is picked up
        headers: async () => (secret === undefined ? {} : (parseOtlpHeaders(secret.value()) ?? {})),
      });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName ?? service }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      spanProcessors: [new BatchSpanProcessor(spanExporter)],
    });
    this.tracer = this.provider.getTracer('kafka-gateway');
  }

  /**
   * The server span of every request (installed early, so forwarding and errors happen inside
   * it), continuing the caller's `traceparent`. Named `METHOD /route/template` once the route
   * is known; undefined when tracing is off.
   */
  httpMiddleware(): RequestHandler | undefined {
    const tracer = this.tracer;
    if (tracer === undefined) return undefined;
    return (req: Request, res: Response, next: NextFunction): void => {
      const method = methodLabel(req.method);
      const parent = extractContext(req.headers);
      const span = tracer.startSpan(
        method,
        { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method } },
        parent,
      );
      const ctx = trace.setSpan(parent, span);
      (req as WithSpan)[SPAN] = ctx;
      // listeners of the request and response streams (body parsing, streamed produce) run in
      // the socket's async context unless bound: bind them so the span stays the active one
      context.bind(ctx, req);
      context.bind(ctx, res);
      res.once('close', () => endServerSpan(span, req, res));
      context.with(ctx, next);
    };
  }

  /** The span context of a request (set by the middleware), else the active one. */
  private contextOf(req: IncomingMessage | undefined): Context {
    return (req === undefined ? undefined : (req as WithSpan)[SPAN]) ?? context.active();
  }

  /** Writes the request's span context into forwarded headers (the owner continues it). */
  inject(req: IncomingMessage, headers: Record<string, string | string[]>): void {
    if (!this.enabled) return;
    injectContext(this.contextOf(req), headers);
  }

  /**
   * A producer span for one send of records to a topic (a v2 request, a v3 batch, or one
   * submission of a v3 stream), child of the request's span. `req` where the caller runs
   * outside the request's async context (stream events); else the active context is used.
   */
  startProduce(topic: string, records: number, req?: IncomingMessage): ProduceTrace | undefined {
    const tracer = this.tracer;
    if (tracer === undefined) return undefined;
    const parent = this.contextOf(req);
    const span = tracer.startSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [MESSAGING_SYSTEM]: 'kafka',
          [MESSAGING_DESTINATION]: topic,
          [MESSAGING_OPERATION_TYPE]: 'send',
          [MESSAGING_BATCH_COUNT]: records,
        },
      },
      parent,
    );
    const headers = this.recordHeaders ? traceHeadersOf(trace.setSpan(parent, span)) : undefined;
    return {
      headers,
      end: (failed, error) => {
        if (error !== undefined) markError(span, error);
        else if (failed > 0) span.setAttribute(FAILED_RECORDS, failed);
        span.end();
      },
    };
  }

  /** A consumer span for one records fetch of a consumer instance, child of the request's span. */
  startFetch(group: string, req?: IncomingMessage): FetchTrace | undefined {
    const tracer = this.tracer;
    if (tracer === undefined) return undefined;
    const parent = this.contextOf(req);
    const started = Date.now();
    const links: Link[] = [];
    const max = this.maxLinks;
    return {
      link: (rc) => {
        if (links.length >= max) return;
        const l = linkOf(rc);
        if (l !== undefined) links.push(l);
      },
      end: (records, error) => {
        // started at the end (with the fetch's start time) so the links are known at creation,
        // where samplers and exporters expect them
        const span = tracer.startSpan(
          `poll ${group}`,
          {
            kind: SpanKind.CONSUMER,
            startTime: started,
            links,
            attributes: {
              [MESSAGING_SYSTEM]: 'kafka',
              [MESSAGING_CONSUMER_GROUP]: group,
              [MESSAGING_OPERATION_TYPE]: 'receive',
              [MESSAGING_BATCH_COUNT]: records,
            },
          },
          parent,
        );
        if (error !== undefined) markError(span, error);
        span.end();
      },
    };
  }

  /** Exports what is still buffered and stops (the last step of a graceful shutdown). */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

function markError(span: Span, error: unknown): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : undefined,
  });
}

function endServerSpan(span: Span, req: Request, res: Response): void {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  const template = typeof route === 'string' ? route : 'unmatched';
  span.updateName(`${methodLabel(req.method)} ${template}`);
  const status = res.statusCode;
  span.setAttribute(ATTR_HTTP_ROUTE, template);
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  const topic = (req.params as Record<string, unknown> | undefined)?.['topic'];
  if (typeof topic === 'string') span.setAttribute(MESSAGING_DESTINATION, topic);
  const id = requestId(req);
  if (id !== undefined) span.setAttribute(REQUEST_ID, id);
  // server spans: 5xx is the gateway's failure, 4xx the client's (OpenTelemetry HTTP conventions)
  if (status >= 500) {
    span.setAttribute(ATTR_ERROR_TYPE, String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (!res.writableFinished) {
    span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
  }
  span.end();
}
