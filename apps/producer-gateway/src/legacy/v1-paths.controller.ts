import { PublicRoute } from '@kafka-gateway/server-kit';
import { Controller, Get } from '@nestjs/common';
import { GatewayError } from '@kafka-gateway/server-kit';

/**
 * Paths that only the v1 API had, answered with a 404 that says so and names the v2 way, instead
 * of a bare `HTTP 404 Not Found` that leaves a v1 client guessing. (The v1 consumer read
 * `GET /consumers/{g}/instances/{i}/topics/{t}` is routed to the consumer gateway.)
 */
@Controller()
export class V1PathsController {
  // v1's simple consumer: read a partition from an offset without a consumer instance
  @PublicRoute('always 404: names the v2 way, touches nothing')
  @Get('topics/:topic/partitions/:partition/messages')
  simpleConsumer(): never {
    throw new GatewayError(
      'route_not_found',
      'The v1 API is not supported: GET /topics/{topic}/partitions/{partition}/messages (the v1 simple consumer) has no v2 equivalent path; ' +
        'create a consumer instance (POST /consumers/{group}), assign it the partition (POST .../assignments), seek (POST .../positions) and read (GET .../records) with application/vnd.kafka.v2+json types.',
    );
  }
}
