import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type LiveRoute, liveRoutes } from '../management/openapi-contract';
import { AUTHORIZATION, type RouteAuthorization } from './authorize.decorator';

function join(...parts: readonly string[]): string {
  const path = parts
    .flatMap((p) => p.split('/'))
    .filter((s) => s !== '')
    .join('/');
  return `/${path}`;
}

function paths(meta: unknown): string[] {
  if (Array.isArray(meta)) return meta as string[];
  return [typeof meta === 'string' ? meta : ''];
}

/** Every controller handler of the app: method, path and its authorization declaration. */
function declaredHandlers(
  app: NestExpressApplication,
): Map<string, RouteAuthorization | undefined> {
  const out = new Map<string, RouteAuthorization | undefined>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...a: never[]) => unknown) | undefined;
      if (type === undefined || type === null) continue;
      const proto = type.prototype as Record<string, unknown>;
      for (const base of paths(Reflect.getMetadata(PATH_METADATA, type))) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          const handler = proto[name];
          if (name === 'constructor' || typeof handler !== 'function') continue;
          const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
          if (method === undefined) continue;
          const declared = Reflect.getMetadata(AUTHORIZATION, handler) as
            RouteAuthorization | undefined;
          for (const sub of paths(Reflect.getMetadata(PATH_METADATA, handler))) {
            out.set(`${RequestMethod[method].toLowerCase()} ${join(base, sub)}`, declared);
          }
        }
      }
    }
  }
  return out;
}

/** Live routes (what the router answers) that no handler declares an authorization for. */
export function routesWithoutAuthorization(app: NestExpressApplication): LiveRoute[] {
  const handlers = declaredHandlers(app);
  return liveRoutes(app).filter((r) => handlers.get(`${r.method} ${join(r.path)}`) === undefined);
}
