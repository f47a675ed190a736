import type { EmbeddedFormat } from './embedded-format';
import type { SchemaType } from './schema-registry/schema-registry.client';

/**
 * The one vocabulary of schema kinds: the v2 embedded format (`jsonschema`), the Schema
 * Registry's `schemaType` (`JSON`) and the v3 produce `type` name (`JSONSCHEMA`).
 */
export type SchemaFormat = 'avro' | 'jsonschema' | 'protobuf';

/** The v3 produce API's names of the schema types. */
export type V3SchemaTypeName = 'AVRO' | 'JSONSCHEMA' | 'PROTOBUF';

interface SchemaKind {
  readonly format: SchemaFormat;
  readonly registryType: SchemaType;
  readonly v3Name: V3SchemaTypeName;
}

const KINDS: readonly SchemaKind[] = [
  { format: 'avro', registryType: 'AVRO', v3Name: 'AVRO' },
  { format: 'jsonschema', registryType: 'JSON', v3Name: 'JSONSCHEMA' },
  { format: 'protobuf', registryType: 'PROTOBUF', v3Name: 'PROTOBUF' },
];

const BY_FORMAT = new Map(KINDS.map((k) => [k.format, k]));
const BY_REGISTRY_TYPE = new Map(KINDS.map((k) => [k.registryType, k]));
const BY_V3_NAME: ReadonlyMap<string, SchemaKind> = new Map(KINDS.map((k) => [k.v3Name, k]));

/** The v3 names of the schema types, in catalogue order. */
export const V3_SCHEMA_TYPE_NAMES: readonly V3SchemaTypeName[] = KINDS.map((k) => k.v3Name);

export function isSchemaFormat(format: EmbeddedFormat): format is SchemaFormat {
  return BY_FORMAT.has(format as SchemaFormat);
}

export function registryTypeOf(format: SchemaFormat): SchemaType {
  return BY_FORMAT.get(format)!.registryType;
}

export function formatOfRegistryType(type: SchemaType): SchemaFormat {
  return BY_REGISTRY_TYPE.get(type)!.format;
}

export function v3NameOf(format: SchemaFormat): V3SchemaTypeName {
  return BY_FORMAT.get(format)!.v3Name;
}

/** The format of a v3 `type` name, or undefined for the schemaless types (BINARY, JSON, STRING). */
export function formatOfV3Name(name: string): SchemaFormat | undefined {
  return BY_V3_NAME.get(name)?.format;
}
