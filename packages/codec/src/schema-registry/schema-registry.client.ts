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
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

interface RegistryErrorBody {
  error_code?: number;
  message?: string;
}

/**
 * A small fetch-based client of the Confluent Schema Registry API. Written here rather than taken
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
  private readonly doFetch: typeof fetch;
  /** Network calls made (for tests and metrics). */
  requests = 0;

  constructor(options: SchemaRegistryOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 2;
    this.doFetch = options.fetch ?? fetch;
    this.headers = { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE };
    if (options.basicAuth !== undefined) {
      const token = Buffer.from(
        `${options.basicAuth.username}:${options.basicAuth.password}`,
      ).toString('base64');
      this.headers['authorization'] = `Basic ${token}`;
    }
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

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      this.requests++;
      let res: Response;
      try {
        res = await this.doFetch(this.base + path, {
          method,
          headers: this.headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(remaining),
        });
      } catch (err) {
        lastError = err;
        await backoff(attempt, deadline);
        continue;
      }
      if (res.ok) return (await res.json()) as T;
      const text = await res.text();
      let parsed: RegistryErrorBody = {};
      try {
        parsed = JSON.parse(text) as RegistryErrorBody;
      } catch {
        parsed = { message: text.slice(0, 200) };
      }
      if (res.status >= 500) {
        lastError = new Error(`registry answered ${res.status}: ${parsed.message ?? ''}`);
        await backoff(attempt, deadline);
        continue;
      }
      throw classify(res.status, parsed, path);
    }
    const reason = lastError instanceof Error ? lastError.message : 'no answer';
    throw new CodecError(
      'schema_registry_unavailable',
      `Schema Registry unavailable (${reason})`,
      true,
      { cause: lastError },
    );
  }
}

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
