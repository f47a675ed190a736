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
}
