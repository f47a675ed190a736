import { GatewayError } from '@kafka-gateway/server-kit';

/** A path partition that is not a non-negative integer is an unknown route in Confluent (404). */
export function partitionParam(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new GatewayError('route_not_found', 'HTTP 404 Not Found');
  return Number(raw);
}

/** A broker id in a path: like a partition, anything but a non-negative integer is a 404. */
export const brokerIdParam = partitionParam;
