import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, map, type Observable } from 'rxjs';
import { IdempotencyService } from './idempotency.service';
import { keyedRequestOf, REPLAYED_HEADER } from './keyed-request';

export { REPLAYED_HEADER } from './keyed-request';

/**
 * The hook of idempotent produce on v3 `records:batch` (v2 produce calls IdempotencyService
 * from its handler, without an interceptor): a request without an Idempotency-Key passes
 * straight through (one header lookup). With one, the handler runs at most once per key
 * (IdempotencyService); a replay answers the stored status and body bytes.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly idempotency: IdempotencyService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = keyedRequestOf(http.getRequest<Request>());
    if (request === undefined) return next.handle();
    const res = http.getResponse<Response>();
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
