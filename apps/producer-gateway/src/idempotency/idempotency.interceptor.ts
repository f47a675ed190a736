import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { IDEMPOTENCY_KEY_HEADER, principalOf, rawBodyOf } from '@kafka-gateway/server-kit';
import type { Request, Response } from 'express';
import { from, lastValueFrom, map, type Observable } from 'rxjs';
import { IdempotencyService } from './idempotency.service';

/** Set on an answer that is the stored answer of an earlier request with the same key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * The hook of idempotent produce on the non-streaming produce handlers: a request without an
 * Idempotency-Key passes straight through (one header lookup). With one, the handler runs at
 * most once per key (IdempotencyService); a replay answers the stored status and body bytes.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly idempotency: IdempotencyService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const key = req.headers[IDEMPOTENCY_KEY_HEADER];
    if (key === undefined) return next.handle();
    const res = http.getResponse<Response>();
    const request = {
      key: Array.isArray(key) ? key.join(', ') : key,
      principal: principalOf(req).name,
      topic: String(req.params['topic'] ?? ''),
      method: req.method,
      path: req.path,
      contentType: req.headers['content-type'],
      body: rawBodyOf(req),
    };
    const produce = async () => {
      const value: unknown = await lastValueFrom(next.handle());
      return { status: res.statusCode, value };
    };
    return from(this.idempotency.run(request, produce)).pipe(
      map((result) => {
        if (result.kind === 'fresh') return result.value;
        res.status(result.response.status);
        res.setHeader(REPLAYED_HEADER, 'true');
        // the stored JSON text as it is (a string is sent unchanged, with the negotiated type)
        return result.response.body;
      }),
    );
  }
}
