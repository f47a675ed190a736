import { randomUUID } from 'node:crypto';
import { CodedError } from '@kafka-gateway/codec';
import { catalogueEntry, GatewayError, isKnownErrorCode } from './error-catalogue';

/** A Confluent error body plus what the HTTP layer needs to send it. */
export interface ErrorResponse {
  readonly status: number;
  readonly body: { error_code: number; message: string };
  readonly retryAfterSeconds?: number;
  /** Set for unexpected errors: logged with the error, echoed to the client instead of details. */
  readonly incidentId?: string;
}

interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
}

/**
 * Turns anything thrown while serving a request into a Confluent error body. Never exposes a
 * stack trace; unknown errors become 500 with an incident id the operator can find in the logs.
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  const code: unknown = err instanceof CodedError ? (err as CodedError).code : undefined;
  if (err instanceof CodedError && typeof code === 'string' && isKnownErrorCode(code)) {
    const entry = catalogueEntry(code);
    return {
      status: entry.status,
      body: { error_code: entry.errorCode, message: err.message },
      ...(err instanceof GatewayError && err.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: err.retryAfterSeconds }
        : {}),
    };
  }
  // body-parser errors (express.json): they carry `type` and `status`
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpLikeError;
  if (e.type === 'entity.parse.failed') {
    const detail = err instanceof Error ? err.message : 'invalid JSON';
    return { status: 400, body: { error_code: 400, message: `Unexpected JSON: ${detail}` } };
  }
  if (e.type === 'entity.too.large') {
    return { status: 413, body: { error_code: 413, message: 'HTTP 413 Request Entity Too Large' } };
  }
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return { status: 415, body: { error_code: 415, message: 'HTTP 415 Unsupported Media Type' } };
  }
  if (e.type === 'request.aborted' || e.type === 'request.size.invalid') {
    return { status: 400, body: { error_code: 400, message: 'HTTP 400 Bad Request' } };
  }
  const status =
    typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, body: { error_code: status, message: `HTTP ${status} ${reason(status)}` } };
  }
  const incidentId = randomUUID();
  return {
    status: 500,
    body: { error_code: 500, message: `Internal Server Error (incident ${incidentId})` },
    incidentId,
  };
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
};

export function reason(status: number): string {
  return REASONS[status] ?? 'Error';
}
