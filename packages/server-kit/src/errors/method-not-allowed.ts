/**
 * Express answers a known path with a wrong method as "not found"; Confluent answers 405. This
 * looks the path up in the router's own table (built by Nest at init) to tell the two apart.
 */
interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  match(path: string): unknown;
}

export interface RouterLike {
  stack: RouteLayer[];
}

/** Methods that some route accepts for this path; empty when no route matches the path at all. */
export function allowedMethods(router: RouterLike | undefined, path: string): string[] {
  if (router === undefined) return [];
  const methods = new Set<string>();
  for (const layer of router.stack) {
    if (layer.route === undefined) continue;
    let hit: unknown;
    try {
      hit = layer.match(path);
    } catch {
      hit = false; // a malformed percent-encoding in the path
    }
    if (hit === false || hit === undefined || hit === null) continue;
    for (const [m, on] of Object.entries(layer.route.methods)) if (on) methods.add(m.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
