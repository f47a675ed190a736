import type { IncomingMessage, Server } from 'node:http';
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

export interface RunningGateway {
  readonly app: NestExpressApplication;
  readonly port: number;
  readonly managementPort: number;
  /** Graceful stop: not ready, stop accepting, drain in-flight requests, then run shutdown hooks. */
  shutdown(reason: string): Promise<void>;
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
  };
  express.disable('x-powered-by');
  express.set('etag', false);
  app.use(requestLogMiddleware(logger, config.accessLog));
  app.use(httpMetricsMiddleware(metrics));
  for (const handler of options.beforeAuth?.(app) ?? []) app.use(handler);
  // the management port (its own server) stays unauthenticated: probes and scrapes
  app.use(authenticationMiddleware(authentication, app.get(ErrorResponder), metrics, logger));
  for (const handler of options.beforeBody?.(app) ?? []) app.use(handler);
  app.use(jsonBody(config.http, options.streamingBody));
  app.use(bodyErrorHandler(app.get(ErrorResponder)));

  // an https.Server when HTTP_TLS_* is set: the same request API over TLS
  const server: Server = app.getHttpServer();
  if (pem !== undefined) reloadCertificates(server as unknown as TlsServer, pem, logger);
  applyServerLimits(server, config.http, logger, metrics);
  await app.listen(config.http.port, config.http.host);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;

  const management = new ManagementServer(metrics, readiness, logger);
  const managementPort = await management.listen(config.metrics.host, config.metrics.port);
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
      await drain(server, config.http.shutdownTimeoutMs, logger);
      await app.close(); // shutdown hooks: Kafka clients disconnect after the drain
      await management.close();
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

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** How often idle keep-alive sockets are closed during a drain (they go idle one by one). */
const DRAIN_SWEEP_MS = 50;

/**
 * Stops accepting connections and waits for in-flight requests. Keep-alive sockets that go idle
 * are closed as they do (Node only closes the ones idle at the moment close() is called); after
 * the timeout the remaining connections are cut.
 */
async function drain(server: Server, timeoutMs: number, logger: Logger): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), DRAIN_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const expired = await Promise.race([closed.then(() => false), timedOut]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (expired) {
    logger.warn({ timeoutMs }, 'drain timed out; closing remaining connections');
    server.closeAllConnections();
    await closed;
  }
}
