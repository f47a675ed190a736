export { CodedError, CodecError, type CodecErrorCode } from './errors';
export {
  EMBEDDED_FORMATS,
  SCHEMA_FORMATS,
  isEmbeddedFormat,
  type EmbeddedFormat,
} from './embedded-format';
export {
  V2_JSON,
  PLAIN_JSON,
  V2_METADATA_OFFERS,
  v2MediaType,
  parseMediaType,
  parseRequestContentType,
  produceFormat,
  negotiate,
  negotiateV2Json,
  type MediaType,
  type Offer,
  type RequestContentType,
} from './media-type';
export { decodeBinaryField, encodeBinaryField } from './serializers/binary.serializer';
export { encodeJsonField, decodeJsonField } from './serializers/json.serializer';
export { negotiateRecordsType, type RecordsResponseType } from './records-accept';
export {
  encodeWire,
  decodeWireHeader,
  encodeMessageIndexes,
  decodeMessageIndexes,
  MAGIC_BYTE,
} from './wire-format';
export {
  HttpSchemaRegistry,
  type SchemaRegistry,
  type SchemaRegistryOptions,
  type SchemaType,
  type SchemaReference,
  type RegisteredSchema,
} from './schema-registry/schema-registry.client';
export {
  SchemaSerde,
  isSchemaFormat,
  type SchemaFormat,
  type SchemaSpec,
  type PreparedWriter,
  type ResolvedWriter,
  type SubjectNameStrategy,
  type V3SchemaSpec,
} from './schema-serde';
export { parseAvro } from './serde/avro.serde';
export { parseJsonSchema } from './serde/json-schema.serde';
export { parseProtobuf } from './serde/protobuf.serde';
export type { ParsedSchema } from './serde/parsed-schema';
