import { PublicRoute } from '@kafka-gateway/server-kit';
import { Controller, Get, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { V2JsonInterceptor } from '@kafka-gateway/server-kit';

/** `GET /` and `POST /` answer `{}` like Confluent's root resource (clients use it as a ping). */
@Controller()
@UseInterceptors(V2JsonInterceptor)
export class RootController {
  @PublicRoute('the ping resource: answers {}')
  @Get()
  get(): Record<string, never> {
    return {};
  }

  @PublicRoute('the ping resource: answers {}')
  @Post()
  @HttpCode(200)
  post(): Record<string, never> {
    return {};
  }
}
