import { Authorize, CLUSTER_RESOURCE } from '@kafka-gateway/server-kit';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import type { Response } from 'express';
import { RequestBase } from '../common/request-base';
import { V3JsonInterceptor } from '../common/v3-json.interceptor';
import { type AclData, AclsService } from './acls.service';
import type { V3Collection, V3Resource } from './v3-resources';

@Controller('v3/clusters/:cluster/acls')
@UseInterceptors(V3JsonInterceptor)
export class AclsController {
  constructor(private readonly acls: AclsService) {}

  @Authorize('describe', CLUSTER_RESOURCE)
  @Get()
  search(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Query() query: Record<string, unknown>,
  ): Promise<V3Collection<V3Resource<AclData>>> {
    return this.acls.search(base, cluster, query);
  }

  @Authorize('create', CLUSTER_RESOURCE)
  @Post()
  @HttpCode(201)
  async create(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    res.setHeader('Location', (await this.acls.create(base, cluster, body)).location);
  }

  @Authorize('delete', CLUSTER_RESOURCE)
  @Delete()
  delete(
    @RequestBase() base: string,
    @Param('cluster') cluster: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: V3Resource<AclData>[] }> {
    return this.acls.delete(base, cluster, query);
  }
}
