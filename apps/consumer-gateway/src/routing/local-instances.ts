import type { InstanceRef } from './ownership-store';

/**
 * The consumer instances this replica holds, as routing needs to know them: whether a request is
 * for a local instance, and which instances the heartbeat re-asserts. The consumer registry
 * implements it and attaches itself to routing, so routing never imports the consumers module.
 */
export interface LocalInstances {
  has(ref: InstanceRef): boolean;
  list(): readonly InstanceRef[];
}
