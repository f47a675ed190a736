import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { createAuthentication, authenticationMiddleware } from '../auth/authentication.middleware';
import type { CommonConfig } from '../config/common.config';
import { ErrorResponder } from '../errors/error-responder';
import { ReadinessService } from '../health/readiness.service';
import { bodyErrorHandler, jsonBody } from '../http/json-body';
import { httpsPemFiles, httpsServerOptions, reloadCertificates } from '../http/https-listener';
import { applyServerLimits } from '../http/server-limits';
import { PinoNestLogger } from '../logging/logger';
import { ManagementServer } from '../management/management-server';
import { httpMetricsMiddleware } from '../metrics/http-metrics.middleware';
import { requestLogMiddleware } from '../http/request-log.middleware';
import { MetricsService } from '../metrics/metrics.service';
import { QuotaService } from '../quota/quota.service';
import { TraceService } from '../tracing/trace.service';
import { edgeMiddleware } from './edge-pipeline';

export interface RunningGateway {
  readonly app: NestExpressApplication;
  readonly port: number;
  /** -1 in a worker of a multi-worker pod (the primary serves the management port). */
  readonly managementPort: number;
  /** Graceful stop: not ready, stop accepting, drain in-flight requests, then run shutdown hooks. */
  shutdown(reason: string): Promise<void>;
}

/**
 * A route served by an Express handler of its own, registered ahead of Nest's router on a path
 * a Nest controller also declares (that controller stays the route's contract: documentation,
 * authorization declaration, the answer when the hot route is off). Everything before the
 * router still runs for it: request id and access log, tracing, metrics, CORS, endpoint lists,
 * quotas, authentication and body parsing. The handler must enforce the controller's guards
 * and answer errors through ErrorResponder. Only for routes a CPU profile shows are worth it.
 */
export interface HotRoute {
  readonly method: 'post';
  /** An Express path, the same string as the controller's (metrics and logs label by it). */
  readonly path: string;
  readonly handler: RequestHandler;
}

/**
 * Starts one gateway: the Nest app on the public port and the management server on its own port.
 * Installs SIGTERM/SIGINT handlers unless `handleSignals` is false (tests).
 */
export async function startGateway(options: {
  rootModule: DynamicModule;
  config: CommonConfig;
  logger: Logger;
  handleSignals?: boolean;
  /** App-specific middleware that must see requests before their bodies are read (forwarding). */
  beforeBody?: (app: NestExpressApplication) => RequestHandler[];
  /** Requests whose body the handler reads as a stream (never buffered by the JSON parser). */
  streamingBody?: (req: IncomingMessage) => boolean;
  /** False in a worker of a pod with HTTP_WORKERS > 1: the primary serves the management port. */
  management?: boolean;
  /** Hot routes (HotRoute), registered after body parsing, before the controllers' routes. */
  hotRoutes?: (app: NestExpressApplication) => readonly HotRoute[];
  /** App-specific middleware that must see requests before authentication (CORS preflight). */
  beforeAuth?: (app: NestExpressApplication) => RequestHandler[];
  /**
   * The replicas' shared secret on forwarded requests (consumer INTERNAL_TOKEN): with it, the
   * principal a forwarding replica authenticated is believed. Unset: never (producer).
   */
  internalToken?: string;
}): Promise<RunningGateway> {
  const { config, logger } = options;
  const tls = config.http.tls;
  const pem = tls === undefined ? undefined : httpsPemFiles(tls);
  const authentication = createAuthentication(config.auth, logger, options.internalToken);
  // With mtls beside other methods a client certificate is optional at the TLS layer (the
  // authenticator refuses an unverified one); otherwise a client CA requires one there.
  const optionalClientCert = config.auth.methods.includes('mtls') && config.auth.methods.length > 1;
  const app = await NestFactory.create<NestExpressApplication>(
    options.rootModule,
    new ExpressAdapter(),
    {
      ...(tls === undefined || pem === undefined
        ? {}
        : { httpsOptions: httpsServerOptions(tls, pem, optionalClientCert) }),
      bodyParser: false,
      logger: new PinoNestLogger(logger),
      abortOnError: false,
    },
  );
  const metrics = app.get(MetricsService);
  const readiness = app.get(ReadinessService);
  const express = app.getHttpAdapter().getInstance() as {
    disable(s: string): void;
    set(k: string, v: unknown): void;
    post(path: string, handler: RequestHandler): void;
  };
  express.disable('x-powered-by');
  express.set('etag', false);
  app.use(requestLogMiddleware(logger, config.accessLog));
  // tracing right after the request id: forwarding, body errors and handlers run in the span
  const tracing = app.get(TraceService);
  const traceRequests = tracing.httpMiddleware();
  if (traceRequests !== undefined) app.use(traceRequests);
  app.use(httpMetricsMiddleware(metrics));
  const quotas =
    config.edge.quotas === undefined
      ? undefined
      : new QuotaService(config.edge.quotas, metrics, logger);
  quotas?.start();
  // CORS, endpoint lists and the global limit, then authentication, then per-principal quotas
  // (edge-pipeline.ts); the management port (its own server) stays unauthenticated
  const edge = edgeMiddleware({
    app,
    edge: config.edge,
    logger,
    quotas,
    authentication: [
      ...(options.beforeAuth?.(app) ?? []),
      authenticationMiddleware(authentication, app.get(ErrorResponder), metrics, logger),
    ],
  });
  for (const handler of edge) app.use(handler);
  for (const handler of options.beforeBody?.(app) ?? []) app.use(handler);
  app.use(jsonBody(config.http, options.streamingBody));
  app.use(bodyErrorHandler(app.get(ErrorResponder)));
  // before app.listen(), which registers the controllers' routes: a hot route matches first
  for (const route of options.hotRoutes?.(app) ?? [])
    express[route.method](route.path, route.handler);

  // an https.Server when HTTP_TLS_* is set: the same request API over TLS
  const server: Server = app.getHttpServer();
  if (pem !== undefined) reloadCertificates(server as unknown as TlsServer, pem, logger);
  applyServerLimits(server, config.http, logger, metrics);
  // during a drain every answer closes its connection: the client (or balancer) sends its next
  // request to another replica instead of into a socket this one is about to close
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (readiness.isShuttingDown()) res.shouldKeepAlive = false;
  });
  // ready includes "the public port is open": a probe never sees ready before it can connect
  readiness.register(LISTENING, () => server.listening);
  // module init: the Kafka clients (and Redis) start connecting; /readyz answers meanwhile
  await app.init();
  const management =
    options.management === false ? undefined : new ManagementServer(metrics, readiness, logger);
  const managementPort = (await management?.listen(config.metrics.host, config.metrics.port)) ?? -1;
  await untilReady(readiness, config.http.listenReadyWaitMs, logger);
  await app.listen(config.http.port, config.http.host);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  logger.info(
    {
      port,
      managementPort,
      https: tls !== undefined,
      clientCertificates: tls?.clientCaFile !== undefined,
      authentication: config.auth.methods,
    },
    'gateway listening',
  );
  if (authentication.open && !isLoopback(config.http.host)) {
    logger.warn(
      { host: config.http.host },
      'AUTH_METHODS=none on a listener beyond loopback: every client is anonymous; set AUTH_METHODS (basic, jwt, mtls) unless a proxy in front authenticates',
    );
  }

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down: draining in-flight requests');
      readiness.markShuttingDown();
      await drain(server, config.http.shutdownTimeoutMs, config.http.drainIdleGraceMs, logger);
      await app.close(); // shutdown hooks: Kafka clients disconnect after the drain
      await management?.close();
      quotas?.stop();
      await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'trace export failed'));
      logger.info('shutdown complete');
    })();
    return stopping;
  };

  if (options.handleSignals !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        const hardStop = setTimeout(() => {
          logger.error('shutdown timed out; exiting');
          process.exit(1);
        }, config.http.shutdownTimeoutMs + 10_000);
        hardStop.unref();
        shutdown(signal).then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { app, port, managementPort, shutdown };
}

/** The readiness check "the public port is open". */
const LISTENING = 'listening';

/** How often readiness is checked while the public port waits for it. */
const READY_POLL_MS = 50;

/**
 * Waits (up to `waitMs`) until the gateway is ready before the public port is opened. A replica
 * behind a plain load balancer (nginx round robin, no health checks) then takes no request before
 * its Kafka client is connected: until it listens, the balancer's connection is refused and it
 * passes the request on to another replica (`proxy_next_upstream error`), instead of the fresh
 * replica answering 503/50302 (seen in the rolling-restart fault scenario). When Kafka is still
 * not there after `waitMs` the port opens anyway, and requests get the retriable 503.
 */
async function untilReady(
  readiness: ReadinessService,
  waitMs: number,
  logger: Logger,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  const readyButListening = (): boolean =>
    Object.entries(readiness.report().checks).every(([name, ok]) => ok || name === LISTENING);
  while (!readyButListening()) {
    if (Date.now() >= deadline) {
      if (waitMs > 0) {
        logger.warn(
          { waitMs, checks: readiness.report().checks },
          'not ready yet; opening the public port anyway (requests get 503 until ready)',
        );
      }
      return;
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** How often idle keep-alive sockets are closed during a drain, once its idle grace is over. */
const DRAIN_SWEEP_MS = 50;

/**
 * Stops accepting connections and waits for in-flight requests, then for the connections.
 *
 * Idle keep-alive connections are left open for `idleGraceMs` (HTTP_DRAIN_IDLE_GRACE_MS): closing
 * one races a request its peer may be writing into it at that moment, and a load balancer must
 * not pass a POST it has sent on to another replica (nginx answers 502: seen in the
 * rolling-restart fault scenario, where the drain closed idle sockets at once). Meanwhile a request
 * on such a connection is served with `Connection: close`, and the peer closes the ones it does not
 * use when its own idle timeout (nginx upstream `keepalive_timeout`, below the grace) ends. After
 * the grace, idle connections are closed as they go idle; after `timeoutMs` every one is cut.
 */
async function drain(
  server: Server,
  timeoutMs: number,
  idleGraceMs: number,
  logger: Logger,
): Promise<void> {
  if (!server.listening) return;
  // net.Server's close: stops accepting; http.Server's would also close idle connections now
  const closed = new Promise<void>((resolve) =>
    NetServer.prototype.close.call(server, () => resolve()),
  );
  let sweep: NodeJS.Timeout | undefined;
  const grace = setTimeout(
    () => {
      server.closeIdleConnections();
      sweep = setInterval(() => server.closeIdleConnections(), DRAIN_SWEEP_MS);
    },
    Math.min(idleGraceMs, timeoutMs),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const expired = await Promise.race([closed.then(() => false), timedOut]);
  clearTimeout(grace);
  clearInterval(sweep);
  clearTimeout(timer);
  if (expired) {
    logger.warn({ timeoutMs }, 'drain timed out; closing remaining connections');
    server.closeAllConnections();
    await closed;
  }
}
