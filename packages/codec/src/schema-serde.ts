import type { EmbeddedFormat } from './embedded-format';
import { CodecError } from './errors';
import { parseAvro } from './serde/avro.serde';
import { parseJsonSchema } from './serde/json-schema.serde';
import type { ParsedSchema } from './serde/parsed-schema';
import { parseProtobuf } from './serde/protobuf.serde';
import type { SchemaRegistry, SchemaType } from './schema-registry/schema-registry.client';
import { decodeMessageIndexes, decodeWireHeader, encodeWire } from './wire-format';

export type SchemaFormat = 'avro' | 'jsonschema' | 'protobuf';

const SCHEMA_TYPES: Readonly<Record<SchemaFormat, SchemaType>> = {
  avro: 'AVRO',
  jsonschema: 'JSON',
  protobuf: 'PROTOBUF',
};

const RAW_CACHE_SIZE = 1000;

export function isSchemaFormat(format: EmbeddedFormat): format is SchemaFormat {
  return format === 'avro' || format === 'jsonschema' || format === 'protobuf';
}

/** The schema a produce request names for its keys or values: raw text or a registry id. */
export interface SchemaSpec {
  readonly schema?: string | undefined;
  readonly schemaId?: number | undefined;
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

const FORMATS_BY_TYPE: Readonly<Record<SchemaType, SchemaFormat>> = {
  AVRO: 'avro',
  JSON: 'jsonschema',
  PROTOBUF: 'protobuf',
};

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
    const type = SCHEMA_TYPES[format];
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
    } else if (spec.schema !== undefined) {
      schema = this.parseRaw(format, spec.schema); // fail fast (42205) before asking the registry
      id = await registry.register(`${topic}-${role}`, type, spec.schema);
      this.remember(id, schema);
    } else {
      throw new CodecError(
        role === 'key' ? 'key_schema_missing' : 'value_schema_missing',
        `Request includes ${role}s but does not include ${role}_schema or ${role}_schema_id.`,
      );
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
      const type = SCHEMA_TYPES[spec.format];
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
    const format = FORMATS_BY_TYPE[schema.schemaType];
    if (spec.format !== undefined && spec.format !== format) {
      throw new CodecError(
        'schema_invalid',
        `Schema ${id} is a ${schema.schemaType} schema, not ${SCHEMA_TYPES[spec.format]}`,
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
    const schema = parse(SCHEMA_TYPES[format], text);
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
   * The schema id of wire-format bytes whose writer schema is not loaded yet, or `undefined`
   * when none is needed (null, loaded). Throws `invalid_wire_format` for bytes without the header.
   */
  missingSchemaId(bytes: Buffer | null): number | undefined {
    if (bytes === null) return undefined;
    const { schemaId } = decodeWireHeader(bytes);
    return this.ready.has(schemaId) ? undefined : schemaId;
  }

  /** Loads (fetches and compiles) the schema with this id; rejects with the registry's error. */
  async load(id: number): Promise<void> {
    await this.byId(id);
  }

  /**
   * Synchronous decode for bytes whose writer schema is loaded (see `missingSchemaId`/`load`):
   * the consumer's hot path decodes a whole batch without awaiting per record.
   */
  deserializeLoaded(bytes: Buffer | null, format: SchemaFormat): unknown {
    if (bytes === null) return null;
    const { schemaId, offset } = decodeWireHeader(bytes);
    const schema = this.ready.get(schemaId);
    if (schema === undefined) {
      throw new CodecError(
        'schema_registry_unavailable',
        `Schema ${schemaId} is not loaded yet`,
        true,
      );
    }
    if (schema.schemaType !== SCHEMA_TYPES[format]) {
      throw new CodecError(
        'deserialization_failed',
        `Record was written with ${schema.schemaType} schema ${schemaId}, not ${SCHEMA_TYPES[format]}`,
      );
    }
    if (schema.schemaType === 'PROTOBUF') {
      const { indexes, offset: at } = decodeMessageIndexes(bytes, offset);
      return schema.decode(bytes.subarray(at), indexes);
    }
    return schema.decode(bytes.subarray(offset));
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
