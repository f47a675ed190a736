import {
  maxHeaderSize,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { V2_JSON } from '@kafka-gateway/codec';
import type { Logger } from 'pino';
import type { HttpConfig } from '../config/common.config';
import type { MetricsService } from '../metrics/metrics.service';

/**
 * How often Node looks for requests past their header or request deadline. Its default (30 s)
 * would let a 10 s deadline slip to 40 s; the check only walks requests in progress.
 */
const DEADLINE_CHECK_INTERVAL_MS = 1000;

/**
 * How long a connection we close while the client may still be sending keeps reading (and
 * dropping) what arrives. Closing a socket with unread bytes makes the kernel reset the
 * connection, and a client that is still writing then usually reports the reset instead of our
 * answer; nginx's lingering close does the same for the same reason.
 */
const LINGER_MS = 2000;

const lingering = new WeakSet<Socket | Duplex>();

/**
 * What the public HTTP listener does about clients that are slow, huge or malformed, before any
 * route sees them. Every refusal is a Confluent body `{"error_code", "message"}`:
 *
 * - request line and headers not complete within `headersTimeoutMs` → 408; the whole request
 *   not complete within `requestTimeoutMs` → 408 (Node's deadlines);
 * - a body that stalls for `bodyIdleTimeoutMs` before it is complete → 408. A response already
 *   under way (a v3 produce stream) and a body the gateway itself stopped reading are left
 *   alone: only `requestTimeoutMs` bounds those;
 * - headers over Node's 16 KiB → 431, or 414 when the request line alone is over it;
 *   unparsable requests → 400 (Node's own answers to these have no body);
 * - a request declaring a body over `maxBodyBytes` is answered (413 by the JSON parser, or
 *   whatever the route says) and the connection closed, instead of Node reading the whole body
 *   to keep the connection alive.
 *
 * Must run before the server listens (the deadline check interval is read then).
 */
export function applyServerLimits(
  server: Server,
  http: HttpConfig,
  logger: Logger,
  metrics: MetricsService,
): void {
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  server.headersTimeout = http.headersTimeoutMs;
  server.requestTimeout = http.requestTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    DEADLINE_CHECK_INTERVAL_MS;

  const responses = new WeakMap<Socket | Duplex, ServerResponse>();
  const refuse = (res: ServerResponse, status: number): void => {
    metrics.errors.inc({ error_code: String(status) });
    closeAfterResponse(res);
    res.statusCode = status;
    res.setHeader('Content-Type', res.req.url?.startsWith('/v3') ? 'application/json' : V2_JSON);
    res.end(errorBody(status));
  };
  // First listener, so it runs before the app has answered anything.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    responses.set(req.socket, res);
    const declared = declaredLength(req);
    if (declared !== undefined && declared > http.maxBodyBytes) closeAfterResponse(res);
    if (hasBody(req)) watchBodyIdle(req, res, http.bodyIdleTimeoutMs, refuse);
  });

  server.on('clientError', (err: ClientError, socket: Duplex) => {
    if (lingering.has(socket)) return; // already answered; more of the same request is arriving
    const status = clientErrorStatus(err);
    const last = responses.get(socket);
    const pending = last !== undefined && !last.writableFinished ? last : undefined;
    if (status === undefined || !socket.writable || pending?.headersSent === true) {
      socket.destroy(); // a network error, or an answer already under way: nothing to say
      return;
    }
    logger.debug({ err: err.message, code: err.code, status }, 'refused a request');
    if (pending !== undefined) {
      // a request past its deadline: answer through its own response, so nothing else writes
      refuse(pending, status);
      return;
    }
    metrics.errors.inc({ error_code: String(status) });
    socket.write(rawErrorResponse(status));
    linger(socket);
  });
}

/**
 * Ends this response with `Connection: close` and, once it is sent, closes the connection
 * without a reset even if the client is still sending the request body.
 */
export function closeAfterResponse(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  const socket = res.socket;
  // Node closes a `Connection: close` connection with destroySoon() once the response is
  // flushed; closing it lingering instead keeps unread bytes from resetting it.
  if (socket !== null) socket.destroySoon = () => linger(socket);
}

function linger(socket: Socket | Duplex): void {
  if (lingering.has(socket)) return;
  lingering.add(socket);
  socket.end(); // our answer, then FIN; the client sees the end and stops
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('end', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
}

/**
 * A socket idle timeout only while the body is incomplete. Node emits the socket's timeout on
 * the request (while it is incomplete) and on the response; listening on both means Node no
 * longer destroys the socket itself, so a request whose body is complete (a long poll, a
 * produce waiting for Kafka) simply stops the timer.
 */
function watchBodyIdle(
  req: IncomingMessage,
  res: ServerResponse,
  idleMs: number,
  refuse: (res: ServerResponse, status: number) => void,
): void {
  const socket = req.socket;
  socket.setTimeout(idleMs);
  req.on('timeout', () => {
    // a stream already answering, or a body the gateway paused: the client is not the slow one
    if (res.headersSent || req.readableFlowing === false) return;
    refuse(res, 408);
  });
  res.on('timeout', () => {
    if (req.complete) socket.setTimeout(0);
  });
}

interface ClientError extends Error {
  code?: string;
  /** What the parser was reading when it failed. */
  rawPacket?: Buffer;
}

/** The answer to a request Node could not read; undefined for network errors (no answer). */
function clientErrorStatus(err: ClientError): number | undefined {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(err.rawPacket) ? 414 : 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    default:
      return err.code?.startsWith('HPE_') === true ? 400 : undefined;
  }
}

/**
 * Node counts the request line and the headers against one limit (`maxHeaderSize`) and reports
 * both as a header overflow. When what it was reading starts with the request line and that
 * line alone is over the limit, the URI is what is too long. (Best effort: a request line that
 * arrives in many small pieces is reported as 431.)
 */
function requestLineTooLong(raw: Buffer | undefined): boolean {
  if (raw === undefined || !/^[A-Z]+ /.test(raw.subarray(0, 16).toString('latin1'))) return false;
  const lineEnd = raw.indexOf(0x0a);
  return lineEnd === -1 || lineEnd > maxHeaderSize;
}

function errorBody(status: number): string {
  return JSON.stringify({ error_code: status, message: `HTTP ${status} ${STATUS_CODES[status]}` });
}

/** For refusals before there is a request to answer: path unknown, hence plain JSON. */
function rawErrorResponse(status: number): string {
  const body = errorBody(status);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

export function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
}
