import type { IncomingMessage } from 'node:http';
import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ErrorResponder } from '../errors/error-responder';

/**
 * JSON bodies of every `+json` type (the Kafka REST types are `application/vnd.kafka.*.v2+json`),
 * plain JSON, octet-stream (accepted as JSON like Karapace) and a missing Content-Type. The size
 * cap is enforced while reading: body-parser stops at the limit (or at once on a larger
 * Content-Length) and the request gets a 413 before the body is buffered. Other types are left
 * unparsed so the handler can answer 415.
 */
export function jsonBody(
  limitBytes: number,
  streamingBody: (req: IncomingMessage) => boolean = () => false,
): RequestHandler {
  return json({
    limit: limitBytes,
    strict: false,
    // Streaming endpoints (v3 produce) read the request themselves, record by record.
    type: (req) => isJsonRequest(req) && !streamingBody(req),
  });
}

function isJsonRequest(req: IncomingMessage): boolean {
  const ct = req.headers['content-type'];
  if (ct === undefined) return true;
  const essence = (ct.split(';')[0] ?? '').trim().toLowerCase();
  return (
    essence === 'application/json' ||
    essence.endsWith('+json') ||
    essence === 'application/octet-stream'
  );
}

/** Body-parser failures (malformed JSON, too large, bad charset) as Confluent error bodies. */
export function bodyErrorHandler(responder: ErrorResponder) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    responder.send(req, res, err);
  };
}
