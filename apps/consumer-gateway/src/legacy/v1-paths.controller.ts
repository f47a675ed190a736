import { Controller, Get } from '@nestjs/common';
import { GatewayError, PublicRoute } from '@kafka-gateway/server-kit';

/**
 * The consumer paths only the v1 API had, answered with a 404 that says so and names the v2 way,
 * instead of a bare `HTTP 404 Not Found` that leaves a v1 client guessing. Of v1's consumer API
 * only the read moved: creating, committing and deleting an instance kept their paths in v2.
 * (The v1 simple consumer, `GET /topics/{t}/partitions/{p}/messages`, is the producer
 * gateway's.) An instance another replica owns is forwarded there first and answered the same.
 */
@Controller('consumers')
export class V1ConsumerPathsController {
  // v1's read: the topic was named in the path and the instance subscribed to it implicitly
  @PublicRoute('always 404: names the v2 way, touches no instance')
  @Get(':group/instances/:instance/topics/:topic')
  v1Read(): never {
    throw new GatewayError(
      'route_not_found',
      'The v1 API is not supported: GET /consumers/{group}/instances/{instance}/topics/{topic} (the v1 consumer read) has no v2 equivalent path; ' +
        'subscribe the instance (POST /consumers/{group}/instances/{instance}/subscription {"topics":["<topic>"]}) and read with ' +
        'GET /consumers/{group}/instances/{instance}/records, with application/vnd.kafka.v2+json and application/vnd.kafka.<format>.v2+json types.',
    );
  }
}
