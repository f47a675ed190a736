import type { IncomingMessage } from 'node:http';

const RECORDS_PATH = /^\/v3\/clusters\/[^/]+\/topics\/[^/]+\/records\/?(\?.*)?$/;

/** Requests the JSON body parser must leave alone: v3 produce reads its body as a stream. */
export function isStreamingProduce(req: IncomingMessage): boolean {
  return req.method === 'POST' && RECORDS_PATH.test(req.url ?? '');
}
