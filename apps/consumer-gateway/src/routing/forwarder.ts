import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { checkServerIdentity } from 'node:tls';
import {
  encodePrincipal,
  INTERNAL_TOKEN_HEADER,
  PemFiles,
  type PemMaterial,
  PRINCIPAL_HEADER,
  principalOf,
} from '@kafka-gateway/server-kit';
import type { Request, Response } from 'express';
import type { InternalTlsConfig } from '../config/consumer.config';

/** Headers that describe one hop and must not travel on to the owner (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/**
 * Pooled keep-alive connections to other replicas: enough for every concurrent long poll a
 * replica may forward, so none waits for a socket.
 */
const MAX_SOCKETS_PER_REPLICA = 512;
/**
 * An idle pooled socket is closed after this long: below the owners' keep-alive timeout, and
 * below their HTTP_DRAIN_IDLE_GRACE_MS (5 s), so a draining owner never closes a pooled socket
 * under a request this replica is forwarding into it.
 */
const IDLE_SOCKET_TIMEOUT_MS = 4_000;

export const FORWARDED_BY = 'x-kafka-gateway-forwarded-by';
export const FORWARD_TOKEN = INTERNAL_TOKEN_HEADER;

export type ForwardOutcome =
  /** The owner answered; its response was streamed to the client. */
  | 'forwarded'
  /** No connection to the owner could be made: it is gone. */
  | 'owner_unreachable'
  /** Connected, but the owner failed before answering (nothing was sent to the client). */
  | 'owner_failed'
  /** The exchange broke after the response started (the client connection was cut). */
  | 'broken'
  /**
   * Only with `notFoundIsStale`: the owner answered 404 (it no longer holds the instance); its
   * answer was discarded and nothing was sent to the client, so the caller may look again.
   */
  | 'owner_lost';

function copyHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Streams a request to the owning replica and its answer back unchanged (status, headers, body),
 * with the internal token and the authenticated principal (PRINCIPAL_HEADER) added.
 * Keep-alive connections between replicas keep the added latency to one local round trip.
 */
export class Forwarder {
  private agent: Agent | HttpsAgent;
  private readonly pem: PemFiles | undefined;
  private material: PemMaterial | undefined;

  constructor(
    private readonly replicaId: string,
    private readonly token: string,
    private readonly connectTimeoutMs: number,
    /** Set: replicas speak HTTPS to each other (INTERNAL_URL https). */
    private readonly tls?: InternalTlsConfig,
    /** Writes the trace context into the forwarded headers (tracing on): the owner's span is a child. */
    private readonly propagate?: (req: Request, headers: Record<string, string | string[]>) => void,
  ) {
    if (tls !== undefined) {
      this.pem = new PemFiles({
        ...(tls.caFile === undefined ? {} : { ca: tls.caFile }),
        ...(tls.certFile === undefined ? {} : { cert: tls.certFile }),
        ...(tls.keyFile === undefined ? {} : { key: tls.keyFile }),
      });
    }
    this.agent = this.newAgent();
  }

  private newAgent(): Agent | HttpsAgent {
    const pool = {
      keepAlive: true,
      maxSockets: MAX_SOCKETS_PER_REPLICA,
      // the most recently used socket is the one least likely to have been closed by the owner
      scheduling: 'lifo' as const,
      timeout: IDLE_SOCKET_TIMEOUT_MS,
    };
    if (this.pem === undefined) return new Agent(pool);
    this.material = this.pem.current();
    const serverName = this.tls?.serverName;
    return new HttpsAgent({
      ...pool,
      ...this.material,
      minVersion: 'TLSv1.2',
      // owners register their pod IP; their certificate names the Service instead
      ...(serverName === undefined
        ? {}
        : {
            servername: serverName,
            checkServerIdentity: (_host: string, cert) => checkServerIdentity(serverName, cert),
          }),
    });
  }

  /** The pool; a new one (new connections) once the CA or client certificate files changed. */
  private currentAgent(): Agent | HttpsAgent {
    if (this.pem !== undefined && this.pem.current() !== this.material) {
      const old = this.agent;
      this.agent = this.newAgent();
      // in-flight exchanges finish on their sockets; idle ones go now
      for (const sockets of Object.values(old.freeSockets))
        for (const s of sockets ?? []) s.destroy();
    }
    return this.agent;
  }

  /**
   * `notFoundIsStale`: the owner came from a cache, so its 404 may mean the instance moved;
   * only for requests without a body (a body cannot be sent twice).
   */
  forward(
    req: Request,
    res: Response,
    ownerUrl: string,
    options: { notFoundIsStale?: boolean } = {},
  ): Promise<ForwardOutcome> {
    return new Promise((resolve) => {
      const target = new URL(req.originalUrl, ownerUrl);
      const headers = copyHeaders(req.headers);
      headers[FORWARDED_BY] = this.replicaId;
      headers[FORWARD_TOKEN] = this.token;
      // who the caller is, as this replica authenticated it (the owner does not authenticate
      // again); the credential itself stays in the Authorization header, never in this one
      headers[PRINCIPAL_HEADER] = encodePrincipal(principalOf(req));
      this.propagate?.(req, headers);
      let settled = false;
      const settle = (o: ForwardOutcome): void => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      const send = this.tls === undefined ? request : httpsRequest;
      const upstream = send(target, { method: req.method, headers, agent: this.currentAgent() });
      let connected = false;
      const connectTimer = setTimeout(
        () => upstream.destroy(new Error('connect timeout')),
        this.connectTimeoutMs,
      );
      upstream.once('socket', (socket) => {
        const onConnect = (): void => {
          connected = true;
          clearTimeout(connectTimer);
        };
        if (!socket.connecting) onConnect();
        else socket.once('connect', onConnect);
      });
      upstream.once('response', (answer) => {
        clearTimeout(connectTimer);
        if (answer.statusCode === 404 && options.notFoundIsStale === true) {
          answer.resume();
          answer.once('end', () => settle('owner_lost'));
          answer.once('error', () => settle('owner_lost'));
          return;
        }
        res.writeHead(answer.statusCode ?? 502, copyHeaders(answer.headers));
        answer.pipe(res);
        answer.once('end', () => settle('forwarded'));
        answer.once('error', () => {
          res.destroy();
          settle('broken');
        });
      });
      upstream.once('error', () => {
        clearTimeout(connectTimer);
        if (res.headersSent) {
          res.destroy();
          settle('broken');
        } else {
          settle(connected ? 'owner_failed' : 'owner_unreachable');
        }
      });
      // the client gave up: stop the upstream exchange too
      res.once('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      // a second attempt (after owner_lost) finds the bodiless request already read
      if (req.readableEnded) upstream.end();
      else req.pipe(upstream);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
