import type { IncomingMessage } from 'node:http';
import {
  JSON_LONG_INTEGER,
  JSON_TOO_DEEP,
  parseExactJson,
  scanJsonText,
} from '@kafka-gateway/codec';
import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { HttpConfig } from '../config/common.config';
import { GatewayError } from '../errors/error-catalogue';
import type { ErrorResponder } from '../errors/error-responder';
import { byteMeter } from '../quota/byte-meter';
import { keepRawBodyIfKeyed } from './raw-body';
import { closeAfterResponse, declaredLength, hasBody } from './server-limits';

/**
 * JSON bodies of every `+json` type (the Kafka REST types are `application/vnd.kafka.*.v2+json`),
 * plain JSON, octet-stream (accepted as JSON like Karapace) and a missing Content-Type. Other
 * types are left unparsed so the handler can answer 415.
 *
 * The size cap is enforced before anything is buffered past it: a declared Content-Length over
 * the cap is answered 413 at once, a chunked body the moment it passes the cap, and the
 * connection is then closed (body-parser on its own would read the whole body before answering,
 * all 2 GiB of it if that is what the client sends). Bodies nested deeper than `maxJsonDepth`
 * are refused with 400 before JSON.parse.
 *
 * Integers beyond 2^53 keep every digit (as BigInt), as Confluent's Jackson keeps them: the depth
 * scan, one pass over the bytes before JSON.parse, also notes an integer literal of 16 or more
 * digits outside strings. Only such a body, once JSON.parse has accepted it (so malformed JSON
 * is reported as always), is parsed again by the codec's exact parser; every other body is
 * JSON.parse's result alone. Fields that must be small numbers (partitions, offsets) then see
 * a BigInt and refuse it with their usual 4xx instead of taking a rounded value.
 */
export function jsonBody(
  limits: Pick<HttpConfig, 'maxBodyBytes' | 'maxJsonDepth'>,
  streamingBody: (req: IncomingMessage) => boolean = () => false,
): RequestHandler {
  const { maxBodyBytes, maxJsonDepth } = limits;
  // Streaming endpoints (v3 produce) read the request themselves, record by record.
  const parsed = (req: IncomingMessage): boolean => isJsonRequest(req) && !streamingBody(req);
  const parse = json({
    limit: maxBodyBytes,
    strict: false,
    type: parsed,
    // With `verify` body-parser keeps the body as bytes until it is checked, then decodes it.
    verify: (req, _res, body, encoding) => {
      const text = utf8(body, encoding);
      const scan = scanJsonText(text, maxJsonDepth);
      if ((scan & JSON_TOO_DEEP) !== 0) {
        throw new GatewayError(
          'malformed_json',
          `JSON nesting depth exceeds the maximum allowed (${maxJsonDepth})`,
        );
      }
      // a produce body without Content-Length is charged to its quota here, before it runs
      const refusal = byteMeter(req)?.(body.length);
      if (refusal !== undefined) throw refusal;
      if ((scan & JSON_LONG_INTEGER) !== 0) longIntegerBodies.set(req, text);
      keepRawBodyIfKeyed(req, body); // idempotent produce fingerprints the bytes
    },
  });
  return (req, res, next) => {
    if (!parsed(req)) {
      next();
      return;
    }
    // body-parser answers once it has read the whole request; we may answer sooner (too large)
    let settled = false;
    const done = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      const text = longIntegerBodies.get(req);
      if (text !== undefined) {
        longIntegerBodies.delete(req);
        if (err === undefined) exactBody(req, text);
      }
      next(err);
    };
    const tooLarge = (): void => {
      closeAfterResponse(res);
      done(new GatewayError('body_too_large', 'HTTP 413 Request Entity Too Large'));
    };
    const declared = declaredLength(req);
    if (declared !== undefined && declared > maxBodyBytes) {
      tooLarge();
      return;
    }
    parse(req, res, done);
    // Only a body without a declared length can outgrow the cap (Node stops at Content-Length).
    if (!settled && declared === undefined && hasBody(req)) {
      let received = 0;
      const count = (chunk: Buffer): void => {
        received += chunk.length;
        if (received <= maxBodyBytes) return;
        req.off('data', count);
        tooLarge();
      };
      req.on('data', count);
      req.once('end', () => req.off('data', count));
    }
  };
}

/** Bodies whose scan found a long integer literal, with their UTF-8 text, until parsed again. */
const longIntegerBodies = new WeakMap<IncomingMessage, Uint8Array>();

/**
 * Replaces JSON.parse's body with the exact parse of the same text. JSON.parse accepted it, so
 * the exact parser does too; should it not, the body stays as JSON.parse gave it.
 */
function exactBody(req: IncomingMessage, text: Uint8Array): void {
  let decoded = Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
  if (decoded.charCodeAt(0) === BYTE_ORDER_MARK) decoded = decoded.slice(1); // as body-parser
  try {
    (req as { body?: unknown }).body = parseExactJson(decoded);
  } catch {
    // keep the body as JSON.parse gave it
  }
}

const BYTE_ORDER_MARK = 0xfeff;

/** The depth scan reads UTF-8; the rare UTF-16 body is re-encoded for it. */
function utf8(body: Buffer, encoding: string | null): Uint8Array {
  if (encoding === null || /^utf-?8$/i.test(encoding)) return body;
  let text: string;
  try {
    text = new TextDecoder(encoding).decode(body);
  } catch {
    throw Object.assign(new Error(`unsupported charset "${encoding}"`), {
      type: 'charset.unsupported',
      status: 415,
    });
  }
  return Buffer.from(text, 'utf8');
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
