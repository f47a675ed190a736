import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller, Get, Post } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Authorize, PublicRoute, topicParam } from './authorize.decorator';
import { routesWithoutAuthorization } from './route-authorizations';

@Controller('things')
class ThingsController {
  @Authorize('describe', topicParam('thing'))
  @Get(':thing')
  get(): string {
    return 'x';
  }

  @PublicRoute('a ping')
  @Get()
  list(): string {
    return 'x';
  }

  @Post(':thing\\:do')
  forgotten(): string {
    return 'x';
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

test('routes without an authorization declaration are found; declared ones are not', async () => {
  const app = await NestFactory.create<NestExpressApplication>(ThingsModule, { logger: false });
  await app.init();
  try {
    assert.deepEqual(routesWithoutAuthorization(app), [
      { method: 'post', path: '/things/:thing\\:do' },
    ]);
  } finally {
    await app.close();
  }
});
