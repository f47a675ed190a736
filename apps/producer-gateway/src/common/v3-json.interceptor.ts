import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';

/**
 * v3 resources answer `application/json` whatever the Accept header says (Confluent's v3 API
 * has the one media type). Set as a one-element array so Express adds no charset parameter.
 */
@Injectable()
export class V3JsonInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    context.switchToHttp().getResponse<Response>().setHeader('Content-Type', ['application/json']);
    return next.handle();
  }
}
