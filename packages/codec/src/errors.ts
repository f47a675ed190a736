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
  | 'unsupported_format';

export class CodecError extends CodedError<CodecErrorCode> {}
