import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  ErrorResponder,
  Errors,
  LOGGER,
  matchesInternalToken,
  MetricsService,
} from '@kafka-gateway/server-kit';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';
import { FORWARD_TOKEN, Forwarder } from './forwarder';
import type { LocalInstances } from './local-instances';
import type { InstanceRef, Owner, OwnershipStore } from './ownership-store';

/** Injection token of the ownership store (in memory, or Redis when replicas scale out). */
export const OWNERSHIP_STORE = Symbol('OWNERSHIP_STORE');
/** Injection token of the forwarder to other replicas (null when ownership is not shared). */
export const FORWARDER = Symbol('FORWARDER');

/** Heartbeats per ownership TTL: two may be lost before a live owner's records expire. */
const HEARTBEATS_PER_TTL = 3;
/** How long a lookup right after a Redis reconnect waits for owners to re-register. */
const RECONNECT_GRACE_MS = 1500;
/** Pause between lookups during that grace period. */
const RECONNECT_RETRY_MS = 100;
const FORWARD_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

const NO_INSTANCES: LocalInstances = { has: () => false, list: () => [] };

/**
 * Sticky routing without sticky load balancers: which replica owns each consumer instance, kept
 * in Redis when replicas scale out (in memory for a single replica). The owner heartbeats its
 * records; any replica streams a request for an instance it does not hold to the owner's
 * registered address, and maps what went wrong on the way to a Confluent error.
 */
@Injectable()
export class RoutingService implements OnModuleInit, OnApplicationShutdown {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private local: LocalInstances = NO_INSTANCES;
  private readonly token: string | undefined;
  private readonly forwards;
  private readonly forwardDuration;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(OWNERSHIP_STORE) private readonly store: OwnershipStore,
    @Inject(FORWARDER) private readonly forwarder: Forwarder | null,
    private readonly responder: ErrorResponder,
    metrics: MetricsService,
  ) {
    this.token = config.routing.internalToken;
    metrics.gauge(
      'kafka_gateway_routing_store_up',
      'Whether the consumer-instance ownership store (Redis) is reachable (1) or not (0)',
      [],
      (g) => g.set(this.store.status().available ? 1 : 0),
    );
    this.forwards = metrics.counter(
      'kafka_gateway_forwarded_requests_total',
      'Requests for consumer instances owned by another replica, by outcome',
      ['outcome'],
    );
    this.forwardDuration = metrics.histogram(
      'kafka_gateway_forward_duration_seconds',
      'Duration of requests forwarded to the owning replica',
      ['outcome'],
      FORWARD_BUCKETS,
    );
  }

  get replicaId(): string {
    return this.config.routing.replicaId;
  }

  /** The registry tells routing which instances it holds (heartbeats re-assert them). */
  attach(local: LocalInstances): void {
    this.local = local;
  }

  onModuleInit(): void {
    if (!this.store.shared) return;
    this.logger.info(
      { replicaId: this.replicaId, internalUrl: this.config.routing.internalUrl },
      'consumer instance ownership in Redis',
    );
    this.store.onReconnect(() => void this.beat());
    this.heartbeatTimer = setInterval(
      () => void this.beat(),
      Math.floor(this.config.routing.ownershipTtlMs / HEARTBEATS_PER_TTL),
    );
    this.heartbeatTimer.unref();
  }

  private async beat(): Promise<void> {
    try {
      await this.store.heartbeat(this.local.list());
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'ownership heartbeat failed');
    }
  }

  /** Claims a new instance for this replica; 409 when a live replica already owns the name. */
  async claim(ref: InstanceRef): Promise<void> {
    if (!(await this.store.claim(ref))) throw Errors.instanceExists();
  }

  async release(ref: InstanceRef): Promise<void> {
    try {
      await this.store.release(ref);
    } catch (err) {
      // the record expires on its own; lookups treat it as stale once the instance is gone
      this.logger.warn({ err: (err as Error).message, ...ref }, 'releasing ownership failed');
    }
  }

  /**
   * Serves a request for an instance this replica does not hold by forwarding it to the owner.
   * Answers false when the request is for this replica's own handlers: no forwarding configured,
   * a local instance, a request another replica already forwarded, or no live owner anywhere.
   * Otherwise the request was answered (the owner's response, or a Confluent error).
   */
  async route(req: Request, res: Response, ref: InstanceRef): Promise<boolean> {
    const forwarder = this.forwarder;
    if (forwarder === null || this.local.has(ref)) return false;
    if (this.isForwarded(req.headers[FORWARD_TOKEN])) return false; // never forward twice
    const started = process.hrtime.bigint();
    let owner: Owner | undefined;
    try {
      owner = await this.owner(ref);
    } catch (err) {
      this.forwards.inc({ outcome: 'routing_unavailable' });
      this.responder.send(req, res, err);
      return true;
    }
    if (owner === undefined) return false;
    const outcome = await forwarder.forward(req, res, owner.url);
    this.forwards.inc({ outcome });
    this.forwardDuration.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    if (outcome === 'owner_unreachable') {
      await this.store.evict(ref, owner.replicaId).catch(() => undefined);
      this.responder.send(req, res, Errors.instanceNotFound());
    } else if (outcome === 'owner_failed') {
      this.responder.send(req, res, Errors.ownerUnavailable());
    }
    return true;
  }

  /**
   * The owner of an instance this replica does not hold, or undefined when there is none.
   * Right after Redis came back the owners may not have re-registered yet: a miss then waits
   * briefly for their heartbeat instead of answering 404 for a live instance.
   */
  private async owner(ref: InstanceRef): Promise<Owner | undefined> {
    const deadline = Date.now() + RECONNECT_GRACE_MS;
    for (;;) {
      const found = await this.store.lookup(ref);
      if (found.kind === 'owner') return found.owner;
      if (!this.store.status().justReconnected || Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, RECONNECT_RETRY_MS));
    }
  }

  /** Whether a request was forwarded by a replica (authenticated by the shared token). */
  isForwarded(tokenHeader: string | string[] | undefined): boolean {
    return matchesInternalToken(tokenHeader, this.token);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.forwarder?.close();
    await this.store.close();
  }
}
