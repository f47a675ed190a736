import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { Errors } from '../errors/gateway-errors';
import { ReadinessService } from '../health/readiness.service';
import { LOGGER } from '../logging/logger';
import { ClientRenewal } from './client-renewal';
import { ClusterProbe } from './cluster-probe';
import { KafkaClientFactory, keepConnecting } from './kafka-client.factory';
import { toGatewayError } from './kafka-errors';

/**
 * The process's one kafkajs admin client with its whole lifecycle: connected in the background at
 * start (readiness check `kafka-admin`), replaced when it is stuck on a deleted topic, closed on
 * shutdown. Every call goes through `call`, which retries once after such a replacement and turns
 * kafkajs failures into GatewayErrors.
 */
@Injectable()
export class ManagedAdmin implements OnModuleInit, OnApplicationShutdown {
  private admin: Admin;
  private connected = false;
  private stopped = false;
  private readonly renewal: ClientRenewal<Admin>;
  /** Whether the cluster still answers (kafkajs misses a full outage under a connected client). */
  private readonly probe: ClusterProbe;

  constructor(
    private readonly factory: KafkaClientFactory,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly readiness: ReadinessService,
  ) {
    this.admin = this.create();
    // only a connected client is asked (until then `connected` already says not ready)
    this.probe = new ClusterProbe(
      () => (this.connected ? this.admin.describeCluster() : Promise.resolve()),
      logger,
    );
    // kafkajs keeps every topic a client used in all its later metadata requests; once one is
    // deleted, every request of that client fails (kafkajs#1146, #1622): renew the client.
    this.renewal = new ClientRenewal(
      'admin',
      () => this.create(),
      (fresh) => {
        const old = this.admin;
        this.admin = fresh;
        this.connected = true;
        return old;
      },
      logger,
    );
  }

  private create(): Admin {
    const admin = this.factory.admin();
    admin.on(admin.events.CONNECT, () => {
      if (this.admin === admin) this.connected = true;
    });
    admin.on(admin.events.DISCONNECT, () => {
      if (this.admin === admin) this.connected = false;
    });
    return admin;
  }

  onModuleInit(): void {
    this.readiness.register('kafka', () => this.connected && this.probe.isReachable());
    this.factory.connectedWhen(() => this.connected);
    this.probe.start();
    void keepConnecting(
      () => (this.connected ? Promise.resolve() : this.admin.connect()),
      this.logger,
      () => this.stopped,
    ).then((ok) => {
      if (ok) this.logger.info('connected to Kafka (admin)');
    });
  }

  isConnected(): boolean {
    return this.connected;
  }

  /**
   * Runs an admin call on the current client. A call that failed because the client is stuck on a
   * deleted topic is run once more on a fresh client, so `fn` must be read-only or idempotent.
   * Until the client has connected (the gateway is not ready) calls fail at once with a retriable
   * 503: kafkajs would otherwise retry its own connection for ~10 s per request while, say, the
   * broker refuses the gateway's certificate.
   */
  async call<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    if (!this.connected) throw Errors.kafkaUnavailable();
    try {
      return await this.renewal.call(() => fn(this.admin));
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.probe.stop();
    this.renewal.stop();
    await this.admin.disconnect().catch(() => undefined);
  }
}
