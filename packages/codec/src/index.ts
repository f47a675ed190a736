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
