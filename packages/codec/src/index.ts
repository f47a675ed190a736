// The codec's public surface: what the gateways, the bench and the tests use.
export { CodedError, CodecError, type CodecErrorCode } from './errors';
export { isEmbeddedFormat, type EmbeddedFormat } from './embedded-format';
export {
  V2_JSON,
  parseMediaType,
  parseRequestContentType,
  produceFormat,
  negotiateV2Json,
  negotiateRecordsType,
  v1NotSupportedMessage,
} from './media-type';
export {
  binaryResponseField,
  decodeBinaryField,
  encodeBinaryField,
} from './serializers/binary.serializer';
export { encodeJsonField, decodeJsonField, jsonFieldBytes } from './serializers/json.serializer';
export {
  Base64Field,
  base64Length,
  JsonBufferWriter,
  JsonBytes,
  jsonFieldSize,
} from './json-buffer';
export {
  JsonText,
  JSON_LONG_INTEGER,
  JSON_TOO_DEEP,
  LONG_INTEGER_DIGITS,
  mayHoldLongIntegers,
  parseExactJson,
  parseJsonExactly,
  renderJsonField,
  scanJsonText,
  stringifyExactJson,
} from './exact-json';
export { encodeWire } from './wire-format';
export {
  HttpSchemaRegistry,
  basicAuthorization,
  type RegistryTlsMaterial,
  type SchemaRegistry,
  type SchemaRegistryOptions,
  type SchemaType,
  type SchemaReference,
  type RegisteredSchema,
} from './schema-registry/schema-registry.client';
export {
  isSchemaFormat,
  formatOfV3Name,
  v3NameOf,
  V3_SCHEMA_TYPE_NAMES,
  type SchemaFormat,
  type V3SchemaTypeName,
} from './schema-types';
export {
  SchemaSerde,
  SchemaNotLoadedError,
  type PreparedWriter,
  type ResolvedWriter,
  type SubjectNameStrategy,
} from './schema-serde';
export { parseAvro } from './serde/avro.serde';
