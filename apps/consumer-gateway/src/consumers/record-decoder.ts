import {
  CodecError,
  type CodedError,
  decodeJsonField,
  type EmbeddedFormat,
  encodeBinaryField,
  isSchemaFormat,
  type SchemaFormat,
  type SchemaSerde,
} from '@kafka-gateway/codec';
import type { FetchedRecord } from '../kafka/kafka-consumer.adapter';

/** A decoded key and value, or why the record cannot be returned. */
export type Decoded =
  | { readonly ok: true; readonly key: unknown; readonly value: unknown }
  | {
      readonly ok: false;
      readonly field: 'key' | 'value';
      readonly error: CodedError;
      /**
       * The record itself is bad (seek past it); otherwise the failure is transient (registry
       * unreachable) and the record stays at the head to be retried.
       */
      readonly poison: boolean;
    };

/** Failures met while preparing a batch (schema id → error), handed back to `decode`. */
export type Prepared = ReadonlyMap<number, CodedError> | undefined;

/**
 * Turns Kafka bytes into the JSON an instance's format returns. Stateless and shared by every
 * instance of a format. `prepare` does the I/O a batch needs (writer schemas by id) so `decode`
 * stays synchronous: the instance's buffer never changes under an await while records are taken.
 */
export interface RecordDecoder {
  readonly needsPrepare: boolean;
  prepare(records: readonly FetchedRecord[]): Promise<Prepared>;
  decode(record: FetchedRecord, prepared: Prepared): Decoded;
}

const NOTHING: Promise<Prepared> = Promise.resolve(undefined);

const BINARY: RecordDecoder = {
  needsPrepare: false,
  prepare: () => NOTHING,
  decode: (r) => ({ ok: true, key: encodeBinaryField(r.key), value: encodeBinaryField(r.value) }),
};

const JSON_DECODER: RecordDecoder = {
  needsPrepare: false,
  prepare: () => NOTHING,
  decode(r) {
    const key = decodeJsonField(r.key);
    if (!key.ok) return jsonFailure('key');
    const value = decodeJsonField(r.value);
    if (!value.ok) return jsonFailure('value');
    return { ok: true, key: key.value, value: value.value };
  },
};

function jsonFailure(field: 'key' | 'value'): Decoded {
  return {
    ok: false,
    field,
    error: new CodecError('deserialization_failed', `The ${field} is not valid JSON`),
    poison: true,
  };
}

const POISON_CODES: ReadonlySet<string> = new Set([
  'invalid_wire_format',
  'deserialization_failed',
  'schema_not_found',
]);

class SchemaRecordDecoder implements RecordDecoder {
  readonly needsPrepare = true;

  constructor(
    private readonly serde: SchemaSerde,
    private readonly format: SchemaFormat,
  ) {}

  async prepare(records: readonly FetchedRecord[]): Promise<Prepared> {
    const missing = new Set<number>();
    for (const r of records) {
      for (const bytes of [r.key, r.value]) {
        try {
          const id = this.serde.missingSchemaId(bytes);
          if (id !== undefined) missing.add(id);
        } catch {
          // bytes without the wire header: decode reports them
        }
      }
    }
    if (missing.size === 0) return undefined;
    const failures = new Map<number, CodedError>();
    await Promise.all(
      [...missing].map((id) =>
        this.serde.load(id).catch((err: unknown) => {
          failures.set(
            id,
            err instanceof CodecError
              ? err
              : new CodecError('schema_registry_error', `Schema ${id} could not be loaded`),
          );
        }),
      ),
    );
    return failures.size === 0 ? undefined : failures;
  }

  decode(r: FetchedRecord, prepared: Prepared): Decoded {
    let field: 'key' | 'value' = 'key';
    try {
      const key = this.field(r.key, prepared);
      field = 'value';
      const value = this.field(r.value, prepared);
      return { ok: true, key, value };
    } catch (err) {
      const error =
        err instanceof CodecError ? err : new CodecError('deserialization_failed', String(err));
      // Only a fault of the record itself is poison (bad bytes, a schema id the registry does
      // not have); a registry that refuses or cannot be reached is the gateway's problem and
      // the record stays at the head to be retried.
      return { ok: false, field, error, poison: POISON_CODES.has(error.code) };
    }
  }

  private field(bytes: Buffer | null, prepared: Prepared): unknown {
    if (bytes !== null && prepared !== undefined) {
      const id = this.serde.missingSchemaId(bytes);
      const failure = id === undefined ? undefined : prepared.get(id);
      if (failure !== undefined) throw failure;
    }
    return this.serde.deserializeLoaded(bytes, this.format);
  }
}

/** One decoder per format, built once per process. */
export function createDecoders(
  serde: SchemaSerde,
): Readonly<Record<EmbeddedFormat, RecordDecoder>> {
  const schema = (f: EmbeddedFormat): RecordDecoder => {
    if (!isSchemaFormat(f)) throw new Error(`${f} is not a schema format`);
    return new SchemaRecordDecoder(serde, f);
  };
  return {
    binary: BINARY,
    json: JSON_DECODER,
    avro: schema('avro'),
    jsonschema: schema('jsonschema'),
    protobuf: schema('protobuf'),
  };
}
