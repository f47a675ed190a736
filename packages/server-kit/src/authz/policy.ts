import type { Principal } from '../auth/principal';
import { compileNames, type NameMatcher } from './name-matcher';

/** What a grant can give. `alter-configs` covers topic, broker and cluster configuration changes. */
export type Operation = 'produce' | 'consume' | 'describe' | 'create' | 'delete' | 'alter-configs';
export const OPERATIONS: readonly Operation[] = [
  'produce',
  'consume',
  'describe',
  'create',
  'delete',
  'alter-configs',
];

/** What an operation is on: a topic, a consumer group, or the cluster itself. */
export type Resource =
  | { readonly kind: 'topic'; readonly name: string }
  | { readonly kind: 'group'; readonly name: string }
  | { readonly kind: 'cluster' };

export const CLUSTER: Resource = Object.freeze({ kind: 'cluster' as const });
export const topic = (name: string): Resource => ({ kind: 'topic', name });
export const group = (name: string): Resource => ({ kind: 'group', name });

/** `topic:orders`, `group:g`, `cluster`: how audit lines name a resource. */
export function resourceLabel(r: Resource): string {
  return r.kind === 'cluster' ? 'cluster' : `${r.kind}:${r.name}`;
}

/** One grant of the policy file as written (see POLICY-FORMAT / README "Authorization"). */
export interface GrantSpec {
  readonly principals: readonly string[];
  readonly operations: readonly (Operation | '*')[];
  readonly topics?: readonly string[];
  readonly groups?: readonly string[];
  readonly cluster?: boolean;
}

export interface PolicySpec {
  readonly grants: readonly GrantSpec[];
}

/** Who a grant is for: principal names, `group:<g>` memberships, or `*` (anyone). */
class PrincipalMatcher {
  private readonly names = new Set<string>();
  private readonly groups = new Set<string>();
  private readonly any: boolean;

  constructor(specs: readonly string[]) {
    let any = false;
    for (const s of specs) {
      if (s === '*') any = true;
      else if (s.startsWith('group:')) this.groups.add(s.slice('group:'.length));
      else this.names.add(s);
    }
    this.any = any;
  }

  matches(p: Principal): boolean {
    if (this.any || this.names.has(p.name)) return true;
    for (const g of p.groups) if (this.groups.has(g)) return true;
    return false;
  }
}

interface CompiledGrant {
  readonly principals: PrincipalMatcher;
  readonly topics: NameMatcher | undefined;
  readonly groups: NameMatcher | undefined;
  readonly cluster: boolean;
}

/**
 * A policy compiled for lookups: per operation the grants that give it, each with its principal
 * and resource matchers built once (exact names in a Set, prefixes in a list, globs in one RegExp).
 * No deny rules: what no grant gives is refused.
 */
export class CompiledPolicy {
  private readonly byOperation = new Map<Operation, CompiledGrant[]>();

  constructor(spec: PolicySpec) {
    for (const op of OPERATIONS) this.byOperation.set(op, []);
    for (const g of spec.grants) {
      const compiled: CompiledGrant = {
        principals: new PrincipalMatcher(g.principals),
        topics: g.topics === undefined ? undefined : compileNames(g.topics),
        groups: g.groups === undefined ? undefined : compileNames(g.groups),
        cluster: g.cluster === true,
      };
      const ops = g.operations.includes('*') ? OPERATIONS : (g.operations as Operation[]);
      for (const op of new Set(ops)) this.byOperation.get(op)!.push(compiled);
    }
  }

  allows(principal: Principal, operation: Operation, resource: Resource): boolean {
    for (const g of this.byOperation.get(operation) ?? []) {
      if (!g.principals.matches(principal)) continue;
      if (resource.kind === 'cluster') {
        if (g.cluster) return true;
      } else {
        const names = resource.kind === 'topic' ? g.topics : g.groups;
        if (names?.matches(resource.name) === true) return true;
      }
    }
    return false;
  }
}
