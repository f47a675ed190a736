import { CodecError } from './errors';
import { parseAvro } from './serde/avro.serde';
import { parseJsonSchema } from './serde/json-schema.serde';
import type { ParsedSchema } from './serde/parsed-schema';
import { parseProtobuf } from './serde/protobuf.serde';
import type { SchemaRegistry, SchemaType } from './schema-registry/schema-registry.client';
import { formatOfRegistryType, registryTypeOf, type SchemaFormat } from './schema-types';
import { decodeMessageIndexes, decodeWireHeader, encodeWire } from './wire-format';

/** Raw schema texts of produce requests kept compiled (oldest evicted first). */
const RAW_CACHE_SIZE = 1000;

/** The schema a produce request names for its keys or values: raw text or a registry id. */
export interface SchemaSpec {
  readonly schema?: string | undefined;
  readonly schemaId?: number | undefined;
}

/** Thrown by `deserializeLoaded` for a writer schema that must be loaded first. */
export class SchemaNotLoadedError extends CodecError {
  constructor(readonly schemaId: number) {
    super('schema_registry_unavailable', `Schema ${schemaId} is not loaded yet`, true);
  }
}

/** One role (key or value) of a v2 produce request: its schema, and whether any record has data. */
export interface RoleRequest extends SchemaSpec {
  readonly hasData: boolean;
}

function schemaMissing(role: 'key' | 'value'): CodecError {
  return new CodecError(
    role === 'key' ? 'key_schema_missing' : 'value_schema_missing',
    `Request includes ${role}s but does not include ${role}_schema or ${role}_schema_id.`,
  );
}

/** How a v3 produce record names its key or value schema (Confluent's ProduceRequestData). */
export interface V3SchemaSpec {
  /** From `type`; undefined = whatever type the registry's schema has. */
  readonly format?: SchemaFormat | undefined;
  readonly subject?: string | undefined;
  readonly subjectNameStrategy?: SubjectNameStrategy | undefined;
  readonly schemaId?: number | undefined;
  readonly schemaVersion?: number | undefined;
  readonly schema?: string | undefined;
}

export type SubjectNameStrategy = 'TOPIC_NAME' | 'RECORD_NAME' | 'TOPIC_RECORD_NAME';

/** A v3 writer: also says which subject, version and format were used (for the response). */
export interface ResolvedWriter extends PreparedWriter {
  readonly format: SchemaFormat;
  readonly subject: string;
  readonly schemaVersion: number;
}

/** A writer schema resolved once per request; serializing a record does no I/O. */
export interface PreparedWriter {
  readonly schemaId: number;
  /** JSON envelope value → wire-format bytes; null stays null. Throws `schema_mismatch`. */
  serialize(value: unknown): Buffer | null;
}

function parse(
  type: SchemaType,
  text: string,
  imports?: ReadonlyMap<string, string>,
): ParsedSchema {
  if (type === 'AVRO') return parseAvro(text);
  if (type === 'JSON') return parseJsonSchema(text);
  return parseProtobuf(text, imports);
}

/**
 * Serialization and deserialization through a Schema Registry with Confluent's TopicNameStrategy
 * (`<topic>-key`, `<topic>-value`). Parsed schemas are cached by id forever (ids are immutable),
 * so the hot path after the first record of a schema is pure CPU.
 */
export class SchemaSerde {
  private readonly parsed = new Map<number, Promise<ParsedSchema>>();
  /** Raw schema texts of produce requests, compiled once (bounded; oldest evicted first). */
  private readonly raw = new Map<string, ParsedSchema>();
  /** The settled subset of `parsed`, for synchronous decoding. */
  private readonly ready = new Map<number, ParsedSchema>();
  /** Why the last `load` of a schema id failed, until a decode reports it. */
  private readonly loadFailures = new Map<number, CodecError>();
  /**
   * `<subject>\0<id>` → the version of schema `id` under `subject`. Successes only (a schema
   * registered under the subject later must be found then); a version never changes.
   */
  private readonly subjectVersions = new Map<string, Promise<number>>();

  constructor(private readonly registry: SchemaRegistry | undefined) {}

  /** Whether a registry is configured (the schema formats need one). */
  get configured(): boolean {
    return this.registry !== undefined;
  }

  private requireRegistry(): SchemaRegistry {
    if (this.registry === undefined) {
      throw new CodecError(
        'schema_registry_not_configured',
        'Payload error. Schema Registry must be configured when using schemas.',
      );
    }
    return this.registry;
  }

  async writer(
    topic: string,
    role: 'key' | 'value',
    format: SchemaFormat,
    spec: SchemaSpec,
  ): Promise<PreparedWriter> {
    const registry = this.requireRegistry();
    const type = registryTypeOf(format);
    let id: number;
    let schema: ParsedSchema;
    if (spec.schemaId !== undefined) {
      id = spec.schemaId;
      schema = await this.byId(id);
      if (schema.schemaType !== type) {
        throw new CodecError(
          'schema_invalid',
          `Schema ${id} is a ${schema.schemaType} schema, not ${type}`,
        );
      }
      // Confluent's serializer looks the id's schema up under the subject (getVersion): an id
      // registered only under another subject is refused before anything is written (42207).
      await this.versionUnder(`${topic}-${role}`, id);
    } else if (spec.schema !== undefined) {
      schema = this.parseRaw(format, spec.schema); // fail fast (42205) before asking the registry
      id = await registry.register(`${topic}-${role}`, type, spec.schema);
      this.remember(id, schema);
    } else {
      throw schemaMissing(role);
    }
    return {
      schemaId: id,
      serialize(value: unknown): Buffer | null {
        if (value === null || value === undefined) return null;
        const { payload, messageIndexes } = schema.encode(value);
        return encodeWire(id, payload, messageIndexes);
      },
    };
  }

  /**
   * The key and value writers of a v2 produce request, per Confluent's rules: a role needs a
   * schema or schema id as soon as one record has a non-null key (value); a role whose records
   * are all null needs none. Every check that needs no I/O runs first (42201/42202/42205), so a
   * refused request registers nothing; then both writers resolve (registry I/O on a miss only).
   */
  async requestWriters(
    topic: string,
    format: SchemaFormat,
    key: RoleRequest,
    value: RoleRequest,
  ): Promise<{ key: PreparedWriter | undefined; value: PreparedWriter | undefined }> {
    const needed = (role: 'key' | 'value', r: RoleRequest): boolean => {
      const given = r.schema !== undefined || r.schemaId !== undefined;
      if (!given && r.hasData) throw schemaMissing(role);
      return given;
    };
    const needKey = needed('key', key);
    const needValue = needed('value', value);
    if (needKey && key.schema !== undefined) this.parseRaw(format, key.schema);
    if (needValue && value.schema !== undefined) this.parseRaw(format, value.schema);
    const [k, v] = await Promise.all([
      needKey ? this.writer(topic, 'key', format, key) : undefined,
      needValue ? this.writer(topic, 'value', format, value) : undefined,
    ]);
    return { key: k, value: v };
  }

  /**
   * Resolves the writer schema of a v3 produce record, as Confluent's SchemaManager does: a raw
   * `schema` (with a `format`) is looked up under the subject and registered when absent; a
   * `schemaId` is fetched and must be registered under the subject; a `schemaVersion` is read
   * from the subject; with none of them the subject's latest version is used. The subject is
   * `subject`, or else derived by the strategy (default TOPIC_NAME → `<topic>-key|value`).
   * Spec conflicts throw `invalid_payload` (400).
   */
  async resolveWriter(
    topic: string,
    role: 'key' | 'value',
    spec: V3SchemaSpec,
  ): Promise<ResolvedWriter> {
    const registry = this.requireRegistry();
    const subjectFor = (schema: ParsedSchema | undefined): string => {
      if (spec.subject !== undefined) return spec.subject;
      const strategy = spec.subjectNameStrategy ?? 'TOPIC_NAME';
      if (strategy === 'TOPIC_NAME') return `${topic}-${role}`;
      const name = schema?.recordName;
      if (name === undefined) {
        throw new CodecError(
          'invalid_payload',
          `subject_name_strategy ${strategy} needs a schema with a record name (schema or schema_id)`,
        );
      }
      return strategy === 'RECORD_NAME' ? name : `${topic}-${name}`;
    };
    let id: number;
    let version: number;
    let subject: string;
    let schema: ParsedSchema;
    if (spec.schema !== undefined) {
      if (spec.format === undefined)
        throw new CodecError(
          'invalid_payload',
          'A raw schema needs a type (AVRO, JSONSCHEMA or PROTOBUF)',
        );
      const type = registryTypeOf(spec.format);
      schema = this.parseRaw(spec.format, spec.schema); // fail fast (42205) before any I/O
      subject = subjectFor(schema);
      let found: { id: number; version: number };
      try {
        found = await registry.lookup(subject, type, spec.schema);
      } catch (err) {
        if (!(err instanceof CodecError) || err.code !== 'schema_not_found') throw err;
        await registry.register(subject, type, spec.schema);
        found = await registry.lookup(subject, type, spec.schema);
      }
      ({ id, version } = found);
      this.remember(id, schema);
    } else if (spec.schemaId !== undefined) {
      id = spec.schemaId;
      schema = await this.byId(id);
      subject = subjectFor(schema);
      const registered = await registry.getById(id);
      ({ version } = await registry.lookup(subject, registered.schemaType, registered.schema));
    } else {
      if (spec.subject === undefined && (spec.subjectNameStrategy ?? 'TOPIC_NAME') !== 'TOPIC_NAME')
        throw new CodecError(
          'invalid_payload',
          'subject_name_strategy RECORD_NAME and TOPIC_RECORD_NAME need a schema or schema_id',
        );
      subject = subjectFor(undefined);
      const registered = await registry.getVersion(subject, spec.schemaVersion ?? 'latest');
      id = registered.id;
      version = registered.version;
      schema = await this.byId(id);
    }
    const format = formatOfRegistryType(schema.schemaType);
    if (spec.format !== undefined && spec.format !== format) {
      throw new CodecError(
        'schema_invalid',
        `Schema ${id} is a ${schema.schemaType} schema, not ${registryTypeOf(spec.format)}`,
      );
    }
    return {
      schemaId: id,
      schemaVersion: version,
      subject,
      format,
      serialize(value: unknown): Buffer | null {
        if (value === null || value === undefined) return null;
        const { payload, messageIndexes } = schema.encode(value);
        return encodeWire(id, payload, messageIndexes);
      },
    };
  }

  /**
   * The version of schema `id` under `subject`; rejects with `schema_not_found` (42207) when the
   * schema is not registered under that subject. Cached per (subject, id).
   */
  async versionUnder(subject: string, id: number): Promise<number> {
    const key = `${subject}\u0000${id}`;
    const hit = this.subjectVersions.get(key);
    if (hit !== undefined) return hit;
    const registry = this.requireRegistry();
    const p = (async () => {
      const registered = await registry.getById(id);
      try {
        return (await registry.lookup(subject, registered.schemaType, registered.schema)).version;
      } catch (err) {
        if (err instanceof CodecError && err.code === 'schema_not_found') {
          throw new CodecError(
            'schema_not_found',
            `Error serializing message. Schema ${id} is not registered under subject ${subject}: Subject Not Found`,
            false,
            { cause: err },
          );
        }
        throw err;
      }
    })();
    this.subjectVersions.set(key, p);
    p.catch(() => this.subjectVersions.delete(key));
    return p;
  }

  private remember(id: number, schema: ParsedSchema): void {
    if (!this.parsed.has(id)) {
      this.parsed.set(id, Promise.resolve(schema));
      this.ready.set(id, schema);
    }
  }

  /**
   * Compiles a raw schema text of a produce request (cached), throwing `schema_invalid` when it
   * does not parse: lets a caller check every schema of a request before any registry I/O.
   */
  parseRaw(format: SchemaFormat, text: string): ParsedSchema {
    const key = `${format}\u0000${text}`;
    const hit = this.raw.get(key);
    if (hit !== undefined) return hit;
    const schema = parse(registryTypeOf(format), text);
    if (this.raw.size >= RAW_CACHE_SIZE) this.raw.delete(this.raw.keys().next().value!);
    this.raw.set(key, schema);
    return schema;
  }

  /** Wire-format bytes → JSON value with the writer's schema; null stays null. */
  async deserialize(bytes: Buffer | null, format: SchemaFormat): Promise<unknown> {
    if (bytes === null) return null;
    await this.byId(decodeWireHeader(bytes).schemaId);
    return this.deserializeLoaded(bytes, format);
  }

  /**
   * Loads (fetches and compiles) the schema with this id for `deserializeLoaded`. Never rejects:
   * a failure is remembered and thrown by the next `deserializeLoaded` of that id, once (the load
   * after that tries the registry again).
   */
  async load(id: number): Promise<void> {
    try {
      await this.byId(id);
    } catch (err) {
      this.loadFailures.set(
        id,
        err instanceof CodecError
          ? err
          : new CodecError('schema_registry_error', `Schema ${id} could not be loaded`),
      );
    }
  }

  /**
   * Synchronous decode for bytes whose writer schema is loaded: the consumer's hot path decodes a
   * whole batch without awaiting per record, parsing each wire header once. Throws
   * `SchemaNotLoadedError` (naming the id to `load`) for a schema not loaded yet, and the
   * remembered failure of the last `load` of that id.
   */
  deserializeLoaded(bytes: Buffer | null, format: SchemaFormat): unknown {
    if (bytes === null) return null;
    const { schema, payload, indexes } = this.loadedPayload(bytes, format);
    return indexes === undefined ? schema.decode(payload) : schema.decode(payload, indexes);
  }

  /**
   * `deserializeLoaded` for a consumer's answer: the same datum, as the JSON text it embeds where
   * the format gives it directly (`JsonText` for Avro, `JsonBytes`/`JsonText` for JSON Schema),
   * else the decoded value (Protobuf). What `JsonBufferWriter.field` writes is identical either
   * way; this skips building the value and writing it again. Throws like `deserializeLoaded`.
   */
  deserializeLoadedJson(bytes: Buffer | null, format: SchemaFormat): unknown {
    if (bytes === null) return null;
    const { schema, payload, indexes } = this.loadedPayload(bytes, format);
    if (schema.decodeJson === undefined) {
      return indexes === undefined ? schema.decode(payload) : schema.decode(payload, indexes);
    }
    return indexes === undefined ? schema.decodeJson(payload) : schema.decodeJson(payload, indexes);
  }

  /** The loaded writer schema of wire-format bytes and the payload after the header. */
  private loadedPayload(
    bytes: Buffer,
    format: SchemaFormat,
  ): { schema: ParsedSchema; payload: Buffer; indexes: readonly number[] | undefined } {
    const { schemaId, offset } = decodeWireHeader(bytes);
    const schema = this.ready.get(schemaId);
    if (schema === undefined) {
      const failure = this.loadFailures.get(schemaId);
      if (failure === undefined) throw new SchemaNotLoadedError(schemaId);
      this.loadFailures.delete(schemaId);
      throw failure;
    }
    if (schema.schemaType !== registryTypeOf(format)) {
      throw new CodecError(
        'deserialization_failed',
        `Record was written with ${schema.schemaType} schema ${schemaId}, not ${registryTypeOf(format)}`,
      );
    }
    if (schema.schemaType === 'PROTOBUF') {
      const { indexes, offset: at } = decodeMessageIndexes(bytes, offset);
      return { schema, payload: bytes.subarray(at), indexes };
    }
    return { schema, payload: bytes.subarray(offset), indexes: undefined };
  }

  /** Whether a parsed schema for `id` is already cached (no I/O needed). */
  isCached(id: number): boolean {
    return this.parsed.has(id);
  }

  private byId(id: number): Promise<ParsedSchema> {
    const hit = this.parsed.get(id);
    if (hit !== undefined) return hit;
    const registry = this.requireRegistry();
    const p = (async () => {
      const registered = await registry.getById(id);
      const imports = new Map<string, string>();
      // protobuf references: the imported files' texts, recursively
      const pending = [...registered.references];
      while (pending.length > 0) {
        const ref = pending.shift()!;
        if (imports.has(ref.name)) continue;
        const dep = await registry.getVersion(ref.subject, ref.version);
        imports.set(ref.name, dep.schema);
        pending.push(...dep.references);
      }
      return parse(registered.schemaType, registered.schema, imports);
    })();
    this.parsed.set(id, p);
    p.then(
      (schema) => this.ready.set(id, schema),
      () => this.parsed.delete(id),
    );
    return p;
  }
}
