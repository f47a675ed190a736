import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { negotiateV2Json } from '@kafka-gateway/codec';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';

/**
 * v2 resources that answer plain JSON: negotiates Accept (406 when nothing fits) and labels the
 * response with the negotiated type (`application/vnd.kafka.v2+json` unless asked otherwise).
 */
@Injectable()
export class V2JsonInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const type = negotiateV2Json(http.getRequest<Request>().headers.accept);
    // Set as a one-element array: Express appends "; charset=utf-8" to string Content-Types in
    // res.send, and Confluent's exact media type carries no charset parameter.
    http.getResponse<Response>().setHeader('Content-Type', [type]);
    return next.handle();
  }
}
