import type { IncomingMessage } from 'node:http';
import type { GatewayError } from '../errors/error-catalogue';

/**
 * Charges bytes of a produce request that were not known when it was admitted (no
 * Content-Length): each record of a streaming v3 produce, or a buffered body once it is read.
 * Answers the refusal (429) when the principal's produce-bytes quota does not admit them, in
 * which case nothing of those bytes may be produced. Set by the quota middleware only when a
 * produce-bytes quota applies, so without quotas there is nothing to call.
 */
export type ByteMeter = (bytes: number) => GatewayError | undefined;

const METER = Symbol('kafka-gateway.byte-meter');
type WithMeter = IncomingMessage & { [METER]?: ByteMeter };

export function setByteMeter(req: IncomingMessage, meter: ByteMeter): void {
  (req as WithMeter)[METER] = meter;
}

/** The request's meter, or undefined when no produce-bytes quota applies to it. */
export function byteMeter(req: IncomingMessage): ByteMeter | undefined {
  return (req as WithMeter)[METER];
}
