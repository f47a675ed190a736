import type { SchemaType } from '../schema-registry/schema-registry.client';

/** A registry schema compiled once: JSON envelope value ⇄ payload bytes (without wire header). */
export interface ParsedSchema {
  readonly schemaType: SchemaType;
  /**
   * The fully qualified record name for the RECORD_NAME subject strategies: Avro's named type,
   * Protobuf's first message, JSON Schema's `title`; undefined when the schema has none.
   */
  readonly recordName: string | undefined;
  /** Throws `schema_mismatch` when the value does not fit the schema. */
  encode(value: unknown): { payload: Buffer; messageIndexes?: number[] };
  /** Throws `deserialization_failed` when the bytes do not fit the schema. */
  decode(payload: Buffer, messageIndexes?: readonly number[]): unknown;
  /**
   * The same datum in the form a consumer's answer embeds (`JsonText`/`JsonBytes`, written
   * verbatim), where the format can give it without building the value and writing it again;
   * absent: the answer writes `decode`'s value. Throws like `decode`.
   */
  decodeJson?(payload: Buffer, messageIndexes?: readonly number[]): unknown;
}
