import {
  type CanActivate,
  Controller,
  Delete,
  type ExecutionContext,
  Get,
  Headers,
  HttpCode,
  Injectable,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { parseRequestContentType } from '@kafka-gateway/codec';
import {
  Authorize,
  AuthorizedInService,
  type Caller,
  CallerOf,
  groupParam,
  RECORD_METADATA_HEADER,
  V2JsonInterceptor,
  wantsEventStream,
} from '@kafka-gateway/server-kit';
import type { Request, Response } from 'express';
import type { TopicPartition } from '../kafka/consumer-port';
import { ConsumersService } from './consumers.service';
import { renderRecordsBuffer } from './records.renderer';
import { ConsumerStreamService } from './streaming/consumer-stream.service';

/** Request bodies must be a Kafka REST or JSON type (415 otherwise), checked before Accept. */
@Injectable()
export class ConsumerContentTypeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    parseRequestContentType(context.switchToHttp().getRequest<Request>().headers['content-type']);
    return true;
  }
}

const INSTANCE = ':group/instances/:instance';
/** What ConsumersService checks on every instance request. */
const OWNER_ONLY =
  'the creator only (404/40403 for anyone else), consume on the group and on every topic named';

@Controller('consumers')
@UseGuards(ConsumerContentTypeGuard)
export class ConsumersController {
  constructor(
    private readonly consumers: ConsumersService,
    private readonly streams: ConsumerStreamService,
  ) {}

  @Authorize('consume', groupParam())
  @Post(':group')
  @HttpCode(200)
  @UseInterceptors(V2JsonInterceptor)
  create(
    @Param('group') group: string,
    @Req() req: Request,
    @CallerOf() caller: Caller,
  ): Promise<{ instance_id: string; base_uri: string }> {
    const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost';
    const proto = req.headers['x-forwarded-proto'] ?? req.protocol;
    return this.consumers.create(group, req.body, `${String(proto)}://${String(host)}`, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Delete(INSTANCE)
  @HttpCode(204)
  @UseInterceptors(V2JsonInterceptor)
  delete(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
  ): Promise<void> {
    return this.consumers.delete(group, instance, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Post(`${INSTANCE}/subscription`)
  @HttpCode(204)
  @UseInterceptors(V2JsonInterceptor)
  subscribe(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
    @Req() req: Request,
  ): Promise<void> {
    return this.consumers.subscribe(group, instance, req.body, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Get(`${INSTANCE}/subscription`)
  @UseInterceptors(V2JsonInterceptor)
  subscription(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
  ): { topics: string[] } {
    return this.consumers.subscription(group, instance, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Delete(`${INSTANCE}/subscription`)
  @HttpCode(204)
  @UseInterceptors(V2JsonInterceptor)
  unsubscribe(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
  ): Promise<void> {
    return this.consumers.unsubscribe(group, instance, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Post(`${INSTANCE}/assignments`)
  @HttpCode(204)
  @UseInterceptors(V2JsonInterceptor)
  assign(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
    @Req() req: Request,
  ): Promise<void> {
    return this.consumers.assign(group, instance, req.body, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Get(`${INSTANCE}/assignments`)
  @UseInterceptors(V2JsonInterceptor)
  assignments(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
  ): { partitions: TopicPartition[] } {
    return this.consumers.assignments(group, instance, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Post(`${INSTANCE}/positions`)
  @HttpCode(204)
  @UseInterceptors(V2JsonInterceptor)
  seek(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
    @Req() req: Request,
  ): Promise<void> {
    return this.consumers.seek(group, instance, req.body, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Post(`${INSTANCE}/positions/beginning`)
  @HttpCode(204)
  @UseInterceptors(V2JsonInterceptor)
  seekToBeginning(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
    @Req() req: Request,
  ): Promise<void> {
    return this.consumers.seekToEdge(group, instance, req.body, 'beginning', caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Post(`${INSTANCE}/positions/end`)
  @HttpCode(204)
  @UseInterceptors(V2JsonInterceptor)
  seekToEnd(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
    @Req() req: Request,
  ): Promise<void> {
    return this.consumers.seekToEdge(group, instance, req.body, 'end', caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Get(`${INSTANCE}/records`)
  async records(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
    @Headers('accept') accept: string | undefined,
    @Query('timeout') timeout: string | undefined,
    @Query('max_bytes') maxBytes: string | undefined,
    @Headers(RECORD_METADATA_HEADER) metadata: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    // the same route, guard and checks; `Accept: text/event-stream` streams instead (SSE)
    if (wantsEventStream(accept)) {
      return this.streams.stream(group, instance, lastEventId, caller, res);
    }
    const { mediaType, records } = await this.consumers.records(
      group,
      instance,
      accept,
      timeout,
      maxBytes,
      caller,
      metadata,
    );
    res.setHeader('Content-Type', [mediaType]); // an array keeps Express from adding a charset
    res.send(renderRecordsBuffer(records));
  }

  @AuthorizedInService(OWNER_ONLY)
  @Post(`${INSTANCE}/offsets`)
  @HttpCode(200)
  @UseInterceptors(V2JsonInterceptor)
  commit(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
    @Req() req: Request,
  ): Promise<[]> {
    return this.consumers.commit(group, instance, req.body, caller);
  }

  @AuthorizedInService(OWNER_ONLY)
  @Get(`${INSTANCE}/offsets`)
  @UseInterceptors(V2JsonInterceptor)
  committed(
    @Param('group') group: string,
    @Param('instance') instance: string,
    @CallerOf() caller: Caller,
    @Req() req: Request,
  ): Promise<{
    offsets: { topic: string; partition: number; offset: number; metadata: string }[];
  }> {
    return this.consumers.committed(group, instance, req.body, caller);
  }
}
