import type { EnvReader } from './env-reader';

/**
 * What the public edge does before a request reaches a handler: CORS, Confluent's endpoint
 * allow/block lists and quotas. Everything here is off unless configured, and what is off
 * installs no middleware at all.
 */
export interface EdgeConfig {
  readonly cors: CorsConfig | undefined;
  readonly endpoints: EndpointAccessConfig | undefined;
  readonly quotas: QuotaConfig | undefined;
}

export interface CorsConfig {
  /** Exact origins (`https://app.example.com`), or `*` (any origin, only without credentials). */
  readonly allowedOrigins: readonly string[];
  readonly anyOrigin: boolean;
  readonly allowedMethods: readonly string[];
  /** Lower case, as compared with Access-Control-Request-Headers. */
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
  readonly allowCredentials: boolean;
  readonly maxAgeSeconds: number;
}

/** Confluent's `api.endpoints.allowlist` / `api.endpoints.blocklist` (endpoint names). */
export interface EndpointAccessConfig {
  /** Empty: every endpoint not blocked is served. */
  readonly allowlist: ReadonlySet<string>;
  readonly blocklist: ReadonlySet<string>;
}

/** One token-bucket limit: a rate and the burst the bucket holds. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** The per-principal limits; undefined: that quota is off. */
export interface PrincipalLimits {
  readonly produceRequests: RateLimit | undefined;
  readonly produceBytes: RateLimit | undefined;
  readonly fetchBytes: RateLimit | undefined;
}

export interface QuotaConfig {
  /** Every principal's limits unless the quota file names the principal. */
  readonly defaults: PrincipalLimits;
  /** All requests this replica serves, whoever sends them. */
  readonly globalRequests: RateLimit | undefined;
  /** Per-principal overrides (JSON or YAML), re-read when it changes. */
  readonly file: string | undefined;
}

/** Browsers cache a preflight at most this long anyway (Chromium caps it at 2 hours). */
const DEFAULT_CORS_MAX_AGE_SECONDS = 600;
const MAX_CORS_MAX_AGE_SECONDS = 86_400;
const DEFAULT_CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const DEFAULT_CORS_HEADERS = ['Accept', 'Authorization', 'Content-Type', 'X-Request-Id'];
const DEFAULT_CORS_EXPOSED = ['Retry-After', 'X-Request-Id'];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENDPOINT_NAME = /^api\.v\d+\.[a-z0-9-]+\.([a-z0-9-]+|\*)$/;

function readCors(r: EnvReader): CorsConfig | undefined {
  const origins = r.list('CORS_ALLOWED_ORIGINS', []);
  if (origins.length === 0) return undefined;
  const allowCredentials = r.bool('CORS_ALLOW_CREDENTIALS', false);
  const anyOrigin = origins.includes('*');
  if (anyOrigin && allowCredentials) {
    r.problem('CORS_ALLOWED_ORIGINS=* cannot be combined with CORS_ALLOW_CREDENTIALS=true');
  }
  const exact: string[] = [];
  for (const o of origins) {
    if (o === '*') continue;
    const u = URL.canParse(o) ? new URL(o) : undefined;
    if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== o) {
      r.problem(`CORS_ALLOWED_ORIGINS: "${o}" is not an origin (scheme://host[:port], no path)`);
    } else exact.push(u.origin);
  }
  const tokens = (name: string, fallback: string[]): string[] => {
    const items = r.list(name, fallback);
    for (const t of items) if (!TOKEN.test(t)) r.problem(`${name}: "${t}" is not a token`);
    return items;
  };
  return {
    allowedOrigins: exact,
    anyOrigin,
    allowedMethods: tokens('CORS_ALLOWED_METHODS', DEFAULT_CORS_METHODS).map((m) =>
      m.toUpperCase(),
    ),
    allowedHeaders: tokens('CORS_ALLOWED_HEADERS', DEFAULT_CORS_HEADERS).map((h) =>
      h.toLowerCase(),
    ),
    exposedHeaders: tokens('CORS_EXPOSED_HEADERS', DEFAULT_CORS_EXPOSED),
    allowCredentials,
    maxAgeSeconds: r.int('CORS_MAX_AGE_SECONDS', DEFAULT_CORS_MAX_AGE_SECONDS, {
      min: 0,
      max: MAX_CORS_MAX_AGE_SECONDS,
    }),
  };
}

function readEndpoints(r: EnvReader): EndpointAccessConfig | undefined {
  const names = (name: string): Set<string> => {
    const v = r.optionalString(name);
    const items = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const n of items) {
      if (!ENDPOINT_NAME.test(n)) {
        r.problem(`${name}: "${n}" is not an endpoint name such as api.v3.topics.delete`);
      }
    }
    return new Set(items);
  };
  const allowlist = names('API_ENDPOINTS_ALLOWLIST');
  const blocklist = names('API_ENDPOINTS_BLOCKLIST');
  return allowlist.size === 0 && blocklist.size === 0 ? undefined : { allowlist, blocklist };
}

/** `<PREFIX>_PER_SECOND` (0 or unset: off) and `<PREFIX>_BURST` (default: one second's worth). */
function readLimit(r: EnvReader, prefix: string): RateLimit | undefined {
  const perSecond = r.int(`${prefix}_PER_SECOND`, 0, { min: 0 });
  const burst = r.int(`${prefix}_BURST`, 0, { min: 0 });
  if (perSecond === 0) {
    if (burst > 0) r.problem(`${prefix}_BURST needs ${prefix}_PER_SECOND`);
    return undefined;
  }
  return { perSecond, burst: burst === 0 ? perSecond : burst };
}

function readQuotas(r: EnvReader): QuotaConfig | undefined {
  const config: QuotaConfig = {
    defaults: {
      produceRequests: readLimit(r, 'QUOTA_PRODUCE_REQUESTS'),
      produceBytes: readLimit(r, 'QUOTA_PRODUCE_BYTES'),
      fetchBytes: readLimit(r, 'QUOTA_FETCH_BYTES'),
    },
    globalRequests: readLimit(r, 'QUOTA_GLOBAL_REQUESTS'),
    file: r.file('QUOTA_FILE'),
  };
  const { produceRequests, produceBytes, fetchBytes } = config.defaults;
  const anyOn =
    produceRequests !== undefined ||
    produceBytes !== undefined ||
    fetchBytes !== undefined ||
    config.globalRequests !== undefined ||
    config.file !== undefined;
  return anyOn ? config : undefined;
}

export function readEdgeConfig(r: EnvReader): EdgeConfig {
  return { cors: readCors(r), endpoints: readEndpoints(r), quotas: readQuotas(r) };
}
