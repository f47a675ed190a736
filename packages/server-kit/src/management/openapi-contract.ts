import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { endpointOf } from '../http/endpoint-names';

/**
 * The API contract (docs/openapi.yaml), as the build step `scripts/embed-openapi.mjs` put it into
 * dist/openapi/: the YAML text as written and the same document as JSON.
 */
export interface OpenApiContract {
  readonly yaml: string;
  readonly json: string;
  /** `paths` of the document: path template → methods (lower case) documented for it. */
  readonly operations: ReadonlyMap<string, ReadonlySet<string>>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Reads the embedded contract once; undefined when the build did not embed it. */
export function loadOpenApiContract(
  dir = join(__dirname, '..', 'openapi'),
): OpenApiContract | undefined {
  let yaml: string;
  let json: string;
  try {
    yaml = readFileSync(join(dir, 'openapi.yaml'), 'utf8');
    json = readFileSync(join(dir, 'openapi.json'), 'utf8');
  } catch {
    return undefined;
  }
  const doc = JSON.parse(json) as { paths?: Record<string, Record<string, unknown>> };
  const operations = new Map<string, Set<string>>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    operations.set(path, new Set(Object.keys(item).filter((k) => HTTP_METHODS.has(k))));
  }
  return { yaml, json, operations };
}

/** One route the running app answers: method (lower case) and Express path pattern. */
export interface LiveRoute {
  readonly method: string;
  readonly path: string;
}

/** Every route registered in the app's Express router (what Nest's router resolved). */
export function liveRoutes(app: NestExpressApplication): LiveRoute[] {
  const express = app.getHttpAdapter().getInstance() as {
    router?: { stack: RouterLayer[] };
    _router?: { stack: RouterLayer[] };
  };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const routes: LiveRoute[] = [];
  for (const layer of stack) {
    if (layer.route === undefined) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') routes.push({ method, path: layer.route.path });
    }
  }
  return routes;
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** `/topics/:topic` and `/topics/{topic_name}` alike: parameter names do not matter. */
function shape(path: string): string {
  return path
    .replace(/\\:/g, ':') // Express escapes a literal colon (`configs\:alter`)
    .replace(/\{[^}]+\}/g, '{}')
    .replace(/(^|\/):[A-Za-z_]\w*/g, '$1{}');
}

/** The live routes the contract does not document (method and path shape both must match). */
export function undocumentedRoutes(routes: LiveRoute[], contract: OpenApiContract): LiveRoute[] {
  const documented = new Map<string, Set<string>>();
  for (const [path, methods] of contract.operations) {
    const key = shape(path);
    const set = documented.get(key) ?? new Set<string>();
    for (const m of methods) set.add(m);
    documented.set(key, set);
  }
  return routes.filter((r) => !(documented.get(shape(r.path))?.has(r.method) ?? false));
}

/** A concrete path for a route pattern: every `:param` segment becomes `x`. */
function examplePath(path: string): string {
  return path.replace(/\\:/g, ':').replace(/(^|\/):[A-Za-z_]\w*/g, '$1x');
}

/**
 * The live routes that have no Confluent endpoint name, so API_ENDPOINTS_ALLOWLIST/BLOCKLIST
 * could not name them (endpoint-names.ts must list every route).
 */
export function unnamedRoutes(routes: LiveRoute[]): LiveRoute[] {
  return routes.filter(
    (r) => endpointOf(r.method.toUpperCase(), examplePath(r.path), {}) === undefined,
  );
}
