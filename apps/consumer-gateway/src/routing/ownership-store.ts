/** A consumer instance's identity across replicas. */
export interface InstanceRef {
  readonly group: string;
  readonly instance: string;
}

/** Where an instance lives when it is not here. */
export interface Owner {
  readonly replicaId: string;
  /** The internal URL the owner registered for itself (never taken from a request). */
  readonly url: string;
}

export type Lookup =
  | { readonly kind: 'owner'; readonly owner: Owner }
  /** No live owner: never created, deleted, expired, or its replica is gone (record removed). */
  | { readonly kind: 'none' };

/**
 * Which replica owns each consumer instance. `InMemoryOwnershipStore` is the single-replica
 * default; `RedisOwnershipStore` shares the table between replicas. Every method may reject
 * with a `routing_unavailable` GatewayError when the shared store cannot be reached.
 */
export interface OwnershipStore {
  /** Whether other replicas can see this table (false: single replica, nothing to forward). */
  readonly shared: boolean;
  /** Claims an instance for this replica; false when a live replica already owns it. */
  claim(ref: InstanceRef): Promise<boolean>;
  /** Drops this replica's claim (no effect when another replica holds it). */
  release(ref: InstanceRef): Promise<void>;
  lookup(ref: InstanceRef): Promise<Lookup>;
  /** Removes a record naming `replicaId` as owner (it was found gone). */
  evict(ref: InstanceRef, replicaId: string): Promise<void>;
  /** Re-asserts this replica and every instance it holds (also rebuilds them after a Redis restart). */
  heartbeat(instances: readonly InstanceRef[]): Promise<void>;
  /** Called when the store (re)connects, so the owner re-registers at once. */
  onReconnect(listener: () => void): void;
  /** Whether the store answered recently (its reconnect just happened when `justReconnected`). */
  status(): { readonly available: boolean; readonly justReconnected: boolean };
  close(): Promise<void>;
}

/** The embedded default: one replica owns everything, nothing is forwarded. */
export class InMemoryOwnershipStore implements OwnershipStore {
  readonly shared = false;
  async claim(): Promise<boolean> {
    return true; // the registry itself refuses duplicate names within a replica
  }
  async release(): Promise<void> {}
  async lookup(): Promise<Lookup> {
    return { kind: 'none' };
  }
  async evict(): Promise<void> {}
  async heartbeat(): Promise<void> {}
  onReconnect(): void {}
  status(): { available: boolean; justReconnected: boolean } {
    return { available: true, justReconnected: false };
  }
  async close(): Promise<void> {}
}
