import {
  binaryResponseField,
  CodecError,
  type CodedError,
  type EmbeddedFormat,
  isSchemaFormat,
  jsonFieldBytes,
  type SchemaFormat,
  SchemaNotLoadedError,
  type SchemaSerde,
} from '@kafka-gateway/codec';
import type { FetchedRecord } from '../kafka/consumer-port';

/**
 * A decoded key and value (in the form the answer writes: `Base64Field`, `JsonBytes`,
 * `JsonText` or a value, see the codec's `JsonBufferWriter`), why the record cannot be returned,
 * or the schema it waits for.
 */
export type Decoded =
  | { readonly status: 'ok'; readonly key: unknown; readonly value: unknown }
  | {
      readonly status: 'failed';
      readonly field: 'key' | 'value';
      readonly error: CodedError;
      /**
       * The record itself is bad (seek past it); otherwise the failure is transient (registry
       * unreachable) and the record stays at the head to be retried.
       */
      readonly poison: boolean;
    }
  /** The writer schema with this id must be loaded (`load`) before the record decodes. */
  | { readonly status: 'needs-schema'; readonly schemaId: number };

/**
 * Turns Kafka bytes into the JSON an instance's format returns. Stateless and shared by every
 * instance of a format. `decode` is synchronous, so the instance's buffer never changes under an
 * await while records are taken; a record whose writer schema is not loaded yet says so, and the
 * instance loads it (`load`, which never rejects: the serde remembers a failure for the next
 * decode) before taking again.
 */
export interface RecordDecoder {
  load(schemaId: number): Promise<void>;
  decode(record: FetchedRecord): Decoded;
}

const NOTHING_TO_LOAD = (): Promise<void> => Promise.resolve();

const BINARY: RecordDecoder = {
  load: NOTHING_TO_LOAD,
  decode: (r) => ({
    status: 'ok',
    key: binaryResponseField(r.key),
    value: binaryResponseField(r.value),
  }),
};

// The record's own JSON bytes are embedded in the answer (checked, never re-written): every
// digit of a long integer survives, and it costs one parse instead of a parse and a stringify.
const JSON_DECODER: RecordDecoder = {
  load: NOTHING_TO_LOAD,
  decode(r) {
    const key = jsonFieldBytes(r.key);
    if (!key.ok) return jsonFailure('key');
    const value = jsonFieldBytes(r.value);
    if (!value.ok) return jsonFailure('value');
    return { status: 'ok', key: key.value, value: value.value };
  },
};

function jsonFailure(field: 'key' | 'value'): Decoded {
  return {
    status: 'failed',
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
  constructor(
    private readonly serde: SchemaSerde,
    private readonly format: SchemaFormat,
  ) {}

  load(schemaId: number): Promise<void> {
    return this.serde.load(schemaId);
  }

  decode(r: FetchedRecord): Decoded {
    let field: 'key' | 'value' = 'key';
    try {
      // Avro as its JSON text, JSON Schema as its bytes: nothing parsed and written again
      const key = this.serde.deserializeLoadedJson(r.key, this.format);
      field = 'value';
      const value = this.serde.deserializeLoadedJson(r.value, this.format);
      return { status: 'ok', key, value };
    } catch (err) {
      if (err instanceof SchemaNotLoadedError)
        return { status: 'needs-schema', schemaId: err.schemaId };
      const error =
        err instanceof CodecError ? err : new CodecError('deserialization_failed', String(err));
      // Only a fault of the record itself is poison (bad bytes, a schema id the registry does
      // not have); a registry that refuses or cannot be reached is the gateway's problem and
      // the record stays at the head to be retried.
      return { status: 'failed', field, error, poison: POISON_CODES.has(error.code) };
    }
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
