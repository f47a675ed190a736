import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { MetricsService } from '../metrics/metrics.service';
import type { ReadinessService } from '../health/readiness.service';
import { loadOpenApiContract, type OpenApiContract } from './openapi-contract';

/**
 * The management port: `/metrics` (Prometheus text), `/healthz` (liveness), `/readyz`
 * (readiness) and the API contract (`/openapi.yaml`, `/openapi.json`). Kept off the public port
 * so an Ingress never exposes it.
 */
export class ManagementServer {
  private readonly server: Server;
  private readonly contract: OpenApiContract | undefined;

  constructor(
    private readonly metrics: MetricsService,
    private readonly readiness: ReadinessService,
    private readonly logger: Logger,
  ) {
    this.contract = loadOpenApiContract();
    if (this.contract === undefined) {
      logger.warn(
        'dist/openapi is missing (built without scripts/embed-openapi.mjs): /openapi.* answer 404',
      );
    }
    // /readyz as a metric, so an alert sees which check failed (e.g. Kafka unreachable)
    metrics.gauge(
      'kafka_gateway_readiness',
      'Readiness checks of /readyz: 1 passing, 0 failing',
      ['check'],
      (g) => {
        for (const [check, ok] of Object.entries(readiness.report().checks)) {
          g.set({ check }, ok ? 1 : 0);
        }
      },
    );
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, type: string, body: string): void => {
        res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(
          405,
          'application/json',
          JSON.stringify({ error_code: 405, message: 'HTTP 405 Method Not Allowed' }),
        );
        return;
      }
      if (path === '/metrics') {
        this.metrics.render().then(
          ({ contentType, body }) => send(200, contentType, body),
          (err: unknown) => {
            this.logger.error({ err }, 'metrics rendering failed');
            send(500, 'text/plain', 'metrics unavailable\n');
          },
        );
      } else if (path === '/openapi.yaml' && this.contract !== undefined) {
        send(200, 'application/yaml; charset=utf-8', this.contract.yaml);
      } else if (path === '/openapi.json' && this.contract !== undefined) {
        send(200, 'application/json', this.contract.json);
      } else if (path === '/healthz') {
        send(200, 'application/json', JSON.stringify({ status: 'ok' }));
      } else if (path === '/readyz') {
        const r = this.readiness.report();
        send(
          r.ready ? 200 : 503,
          'application/json',
          JSON.stringify({ status: r.ready ? 'ready' : 'not ready', checks: r.checks }),
        );
      } else {
        send(
          404,
          'application/json',
          JSON.stringify({ error_code: 404, message: 'HTTP 404 Not Found' }),
        );
      }
    });
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
