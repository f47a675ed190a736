import type { EnvReader } from './env-reader';
import type { Secret } from './secret';

/** Where the OTLP/HTTP exporter sends when no endpoint is configured (the collector's default). */
const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
/** The OTLP/HTTP path of traces under a base endpoint (OpenTelemetry's exporter specification). */
const TRACES_PATH = '/v1/traces';
/**
 * Links on one consumer fetch span: a fetch can return thousands of records, and each link costs
 * memory until export; backends cap them too (the SDK's default span link limit is 128).
 */
const DEFAULT_MAX_LINKS = 128;
const MAX_LINKS_CEILING = 1000;

export interface TracingConfig {
  /** Off (the default): no middleware, no spans, no record headers. */
  readonly enabled: boolean;
  /** The OTLP/HTTP traces URL (JSON encoding). */
  readonly endpoint: string;
  /** `service.name` of the resource; unset = the gateway's own name. */
  readonly serviceName: string | undefined;
  /** Share of new traces sampled (parent-based: a caller's sampling decision is kept). */
  readonly sampleRatio: number;
  /** `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`; may hold a token): read at every export. */
  readonly exporterHeaders: Secret | undefined;
  /** Write the W3C `traceparent`/`tracestate` into every produced record's headers. */
  readonly recordHeaders: boolean;
  /** Most producer links on one consumer fetch span. */
  readonly maxLinks: number;
}

/** Parses `k=v,k2=v2` (values percent-decoded) as the OpenTelemetry exporters do. */
export function parseOtlpHeaders(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return undefined;
    try {
      out[item.slice(0, eq).trim()] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * Tracing settings, by OpenTelemetry's standard variables where one exists: on with
 * `TRACING_ENABLED=true` or `OTEL_TRACES_EXPORTER=otlp` (`none` keeps it off).
 */
export function readTracingConfig(r: EnvReader): TracingConfig {
  const exporter = r.oneOf('OTEL_TRACES_EXPORTER', ['otlp', 'none'], 'none');
  const enabled = r.bool('TRACING_ENABLED', exporter === 'otlp');
  const tracesUrl = r.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = r.url('OTEL_EXPORTER_OTLP_ENDPOINT', DEFAULT_OTLP_ENDPOINT)!;
  const ratioText = r.optionalString('OTEL_TRACES_SAMPLER_ARG');
  let sampleRatio = 1;
  if (ratioText !== undefined) {
    const n = /^\d+(\.\d+)?$/.test(ratioText) ? Number(ratioText) : Number.NaN;
    if (!(n >= 0 && n <= 1))
      r.problem(`OTEL_TRACES_SAMPLER_ARG=${ratioText} must be between 0 and 1`);
    else sampleRatio = n;
  }
  const exporterHeaders = r.secret('OTEL_EXPORTER_OTLP_HEADERS');
  // a literal is checked now (the message never repeats it); a file's content when it is used
  if (exporterHeaders?.file === undefined && exporterHeaders !== undefined) {
    if (parseOtlpHeaders(exporterHeaders.value()) === undefined) {
      r.problem('OTEL_EXPORTER_OTLP_HEADERS must be name=value pairs separated by commas');
    }
  }
  return {
    enabled,
    endpoint: tracesUrl ?? `${base}${TRACES_PATH}`,
    serviceName: r.optionalString('OTEL_SERVICE_NAME'),
    sampleRatio,
    exporterHeaders,
    recordHeaders: r.bool('TRACING_RECORD_HEADERS', true),
    maxLinks: r.int('TRACING_MAX_LINKS', DEFAULT_MAX_LINKS, { min: 0, max: MAX_LINKS_CEILING }),
  };
}
