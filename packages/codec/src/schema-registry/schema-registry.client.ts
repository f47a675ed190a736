import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { CodecError } from '../errors';

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

export interface SchemaReference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

export interface RegisteredSchema {
  readonly id: number;
  readonly schemaType: SchemaType;
  readonly schema: string;
  readonly references: readonly SchemaReference[];
}

/** What the serializers need from a Confluent-compatible registry (faked in unit tests). */
export interface SchemaRegistry {
  /** Registers (or finds) `schema` under `subject`; answers its id. */
  register(
    subject: string,
    schemaType: SchemaType,
    schema: string,
    references?: readonly SchemaReference[],
  ): Promise<number>;
  getById(id: number): Promise<RegisteredSchema>;
  /** Id and version of `schema` under `subject`; rejects with `schema_not_found` when absent. */
  lookup(
    subject: string,
    schemaType: SchemaType,
    schema: string,
  ): Promise<{ id: number; version: number }>;
  /** The schema text of one version of a subject (for protobuf references). */
  getVersion(
    subject: string,
    version: number | 'latest',
  ): Promise<RegisteredSchema & { version: number }>;
}

export interface SchemaRegistryOptions {
  /** Base URL of the Confluent API, e.g. `http://registry:8081` or Apicurio's `.../apis/ccompat/v7`. */
  readonly url: string;
  /** Budget of one operation including its retries. */
  readonly timeoutMs?: number;
  /** Retries of a failed network call or 5xx answer (4xx answers are final). */
  readonly retries?: number;
  /**
   * The `Authorization` header value (`Basic ...`, `Bearer ...`), asked for on every request so
   * that a rotated credential applies at once. A throw fails the operation (not retried).
   */
  readonly authorization?: () => string | undefined;
  /**
   * TLS material for an `https:` URL: a CA to trust instead of the system's, and a client
   * certificate and key for mTLS. Asked for on every request; when it answers a different object
   * than before, new connections use the new material (rotated files apply without a restart).
   */
  readonly tls?: () => RegistryTlsMaterial;
}

export interface RegistryTlsMaterial {
  readonly ca?: Buffer | string;
  readonly cert?: Buffer | string;
  readonly key?: Buffer | string;
}

/** Basic credentials as an `Authorization` header value. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Idle pooled connections to the registry are closed after this long. */
const IDLE_SOCKET_TIMEOUT_MS = 30_000;
const NO_TLS: RegistryTlsMaterial = {};

/** Certificate problems do not heal within a retry budget: they fail the operation at once. */
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // ERR_SSL_*: a handshake the server refused (no or an unknown client certificate, no common
  // protocol version), a configuration problem as well
  return typeof code === 'string' && (CERTIFICATE_ERRORS.has(code) || code.startsWith('ERR_SSL_'));
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

interface RegistryErrorBody {
  error_code?: number;
  message?: string;
}

/**
 * A small client (node:http/https, pooled keep-alive connections) of the Confluent Schema Registry API. Written here rather than taken
 * from `@kafkajs/confluent-schema-registry` because the gateway needs what that library does not
 * give: a hard time budget per operation with bounded retries, registry errors as stable codes,
 * Apicurio's content ids, and caches whose hits provably do no I/O (ids and registrations are
 * immutable in a registry, so they are cached forever; in-flight identical calls are shared).
 */
export class HttpSchemaRegistry implements SchemaRegistry {
  private readonly byId = new Map<number, Promise<RegisteredSchema>>();
  private readonly bySchema = new Map<string, Promise<number>>();
  private readonly byLookup = new Map<string, Promise<{ id: number; version: number }>>();
  private readonly byVersion = new Map<string, Promise<RegisteredSchema & { version: number }>>();
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly headers: Record<string, string>;
  private readonly authorization: (() => string | undefined) | undefined;
  private readonly tls: (() => RegistryTlsMaterial) | undefined;
  private readonly secure: boolean;
  private agent: HttpAgent | HttpsAgent | undefined;
  private agentMaterial: RegistryTlsMaterial | undefined;
  /** Network calls made (for tests and metrics). */
  requests = 0;

  constructor(options: SchemaRegistryOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 2;
    this.headers = { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE };
    this.authorization = options.authorization;
    this.tls = options.tls;
    this.secure = new URL(this.base).protocol === 'https:';
  }

  /** Stops pooled connections (process shutdown). */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  register(
    subject: string,
    schemaType: SchemaType,
    schema: string,
    references: readonly SchemaReference[] = [],
  ): Promise<number> {
    const key = `${subject}\u0000${schemaType}\u0000${schema}\u0000${JSON.stringify(references)}`;
    return this.cached(this.bySchema, key, async () => {
      const body: Record<string, unknown> = { schema };
      if (schemaType !== 'AVRO') body['schemaType'] = schemaType;
      if (references.length > 0) body['references'] = references;
      const res = await this.call<{ id: number }>(
        'POST',
        `/subjects/${encodeURIComponent(subject)}/versions`,
        body,
      );
      return res.id;
    });
  }

  lookup(
    subject: string,
    schemaType: SchemaType,
    schema: string,
  ): Promise<{ id: number; version: number }> {
    const key = `${subject}\u0000${schemaType}\u0000${schema}`;
    return this.cached(this.byLookup, key, async () => {
      const body: Record<string, unknown> = { schema };
      if (schemaType !== 'AVRO') body['schemaType'] = schemaType;
      const res = await this.call<{ id: number; version: number }>(
        'POST',
        `/subjects/${encodeURIComponent(subject)}`,
        body,
      );
      return { id: res.id, version: res.version };
    });
  }

  getById(id: number): Promise<RegisteredSchema> {
    return this.cached(this.byId, id, async () => {
      const res = await this.call<{
        schema: string;
        schemaType?: SchemaType;
        references?: SchemaReference[];
      }>('GET', `/schemas/ids/${id}`);
      return {
        id,
        schema: res.schema,
        schemaType: res.schemaType ?? 'AVRO',
        references: res.references ?? [],
      };
    });
  }

  getVersion(
    subject: string,
    version: number | 'latest',
  ): Promise<RegisteredSchema & { version: number }> {
    const load = async (): Promise<RegisteredSchema & { version: number }> => {
      const res = await this.call<{
        id: number;
        version: number;
        schema: string;
        schemaType?: SchemaType;
        references?: SchemaReference[];
      }>('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
      return {
        id: res.id,
        version: res.version,
        schema: res.schema,
        schemaType: res.schemaType ?? 'AVRO',
        references: res.references ?? [],
      };
    };
    // "latest" moves; a numbered version never changes.
    return version === 'latest'
      ? load()
      : this.cached(this.byVersion, `${subject}\u0000${version}`, load);
  }

  /** Shares one in-flight call per key and keeps successes; a failure is forgotten so it can be retried. */
  private cached<K, V>(map: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
    const hit = map.get(key);
    if (hit !== undefined) return hit;
    const p = load();
    map.set(key, p);
    p.catch(() => map.delete(key));
    return p;
  }

  /** The connection pool; rebuilt when the TLS material changes (the old one drains idle). */
  private currentAgent(): HttpAgent | HttpsAgent {
    if (!this.secure) return (this.agent ??= new HttpAgent(POOL));
    const material = this.tls?.() ?? NO_TLS;
    if (this.agent === undefined || material !== this.agentMaterial) {
      this.agent = new HttpsAgent({ ...POOL, minVersion: 'TLSv1.2', ...material });
      this.agentMaterial = material;
    }
    return this.agent;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    let headers: Record<string, string>;
    let agent: HttpAgent | HttpsAgent;
    try {
      const authorization = this.authorization?.();
      headers = authorization === undefined ? this.headers : { ...this.headers, authorization };
      agent = this.currentAgent();
    } catch (err) {
      // unreadable credentials or certificates: a configuration problem, not an outage
      throw new CodecError(
        'schema_registry_error',
        `Schema Registry client not usable: ${err instanceof Error ? err.message : String(err)}`,
        false,
        { cause: err },
      );
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      this.requests++;
      let res: { status: number; text: string };
      try {
        res = await this.send(method, path, headers, agent, payload, remaining);
      } catch (err) {
        lastError = err;
        if (isCertificateError(err)) break;
        await backoff(attempt, deadline);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return JSON.parse(res.text) as T;
      let parsed: RegistryErrorBody = {};
      try {
        parsed = JSON.parse(res.text) as RegistryErrorBody;
      } catch {
        parsed = { message: res.text.slice(0, 200) };
      }
      if (res.status >= 500) {
        lastError = new Error(`registry answered ${res.status}: ${parsed.message ?? ''}`);
        await backoff(attempt, deadline);
        continue;
      }
      throw classify(res.status, parsed, path);
    }
    const reason = lastError instanceof Error ? lastError.message : 'no answer';
    const tls = isCertificateError(lastError) ? 'TLS: ' : '';
    throw new CodecError(
      'schema_registry_unavailable',
      `Schema Registry unavailable (${tls}${reason})`,
      !isCertificateError(lastError),
      { cause: lastError },
    );
  }

  /** One HTTP exchange, bounded by `timeoutMs` from start to the end of the body. */
  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    agent: HttpAgent | HttpsAgent,
    payload: string | undefined,
    timeoutMs: number,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = this.secure ? httpsRequest : httpRequest;
      const req = request(
        this.base + path,
        {
          method,
          agent,
          headers:
            payload === undefined
              ? headers
              : { ...headers, 'content-length': String(Buffer.byteLength(payload)) },
          signal: AbortSignal.timeout(timeoutMs),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
          res.on('close', () => {
            if (!res.complete) reject(new Error('the registry connection closed mid-answer'));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

const POOL = { keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS };

async function backoff(attempt: number, deadline: number): Promise<void> {
  const wait = Math.min(50 * 2 ** attempt, Math.max(0, deadline - Date.now()));
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

function classify(status: number, body: RegistryErrorBody, path: string): CodecError {
  const message = body.message ?? `HTTP ${status}`;
  if (status === 409) {
    return new CodecError(
      'schema_incompatible',
      `Schema being registered is incompatible with an earlier schema for subject: ${message}`,
    );
  }
  if (status === 422 || body.error_code === 42201)
    return new CodecError('schema_invalid', `Invalid schema: ${message}`);
  if (status === 404)
    return new CodecError('schema_not_found', `Schema not found (${path}): ${message}`);
  if (status === 401 || status === 403)
    return new CodecError('schema_registry_error', `Schema Registry refused access: ${message}`);
  return new CodecError('schema_registry_error', `Schema Registry error ${status}: ${message}`);
}
