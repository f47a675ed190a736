/**
 * Errors as data: every failure the codec can report carries a stable string code and a
 * retriable flag. The gateways map codes to HTTP statuses and Confluent `error_code`s in one
 * catalogue (server-kit); nothing here knows about HTTP frameworks.
 */
export class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type CodecErrorCode =
  /** Content-Type names no format this endpoint consumes. */
  | 'unsupported_media_type'
  /** Accept names nothing this endpoint produces. */
  | 'not_acceptable'
  /** A binary key or value is not strict base64. */
  | 'invalid_base64'
  /** A key or value does not fit its embedded format (wrong JSON type and the like). */
  | 'invalid_payload'
  /** A known embedded format this build cannot serialize yet. */
  | 'unsupported_format'
  /** Bytes that do not start with the Confluent wire-format header. */
  | 'invalid_wire_format'
  /** A schema format was used but no Schema Registry is configured (42206). */
  | 'schema_registry_not_configured'
  /** A key (value) is present but no key (value) schema or schema id was given (42201/42202). */
  | 'key_schema_missing'
  | 'value_schema_missing'
  /** The schema text does not parse as its type (42205). */
  | 'schema_invalid'
  /** The registry refused the schema as incompatible with the subject's earlier versions. */
  | 'schema_incompatible'
  /** No schema with that id (or subject/version) in the registry. */
  | 'schema_not_found'
  /** The registry answered an error we do not classify (42207). */
  | 'schema_registry_error'
  /** The registry did not answer in time or could not be reached (retriable). */
  | 'schema_registry_unavailable'
  /** The data does not match the schema (400). */
  | 'schema_mismatch'
  /** Bytes that cannot be decoded with their writer schema (consumer side, 40801). */
  | 'deserialization_failed';

export class CodecError extends CodedError<CodecErrorCode> {}
