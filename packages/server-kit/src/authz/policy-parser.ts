import { parseYaml } from '../config/yaml';
import { OPERATIONS, type GrantSpec, type Operation, type PolicySpec } from './policy';

/** A policy file that cannot be used; `problems` names every mistake found. */
export class PolicyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid authorization policy: ${problems.join('; ')}`);
    this.name = 'PolicyError';
  }
}

const GRANT_KEYS = new Set(['principals', 'operations', 'topics', 'groups', 'cluster']);

function stringList(value: unknown, where: string, problems: string[]): string[] | undefined {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => typeof v === 'string' && v !== '')
  ) {
    problems.push(`${where} must be a non-empty list of non-empty strings`);
    return undefined;
  }
  return value as string[];
}

function grant(raw: unknown, i: number, problems: string[]): GrantSpec | undefined {
  const where = `grants[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${where} must be a mapping`);
    return undefined;
  }
  const g = raw as Record<string, unknown>;
  // an unknown key is a typo (`topic:`) that would otherwise silently grant less or more
  for (const k of Object.keys(g)) if (!GRANT_KEYS.has(k)) problems.push(`${where}.${k} is unknown`);
  const principals = stringList(g.principals, `${where}.principals`, problems);
  const operations = stringList(g.operations, `${where}.operations`, problems);
  for (const op of operations ?? []) {
    if (op !== '*' && !OPERATIONS.includes(op as Operation)) {
      problems.push(`${where}.operations: ${op} is not one of ${OPERATIONS.join(', ')}, *`);
    }
  }
  const topics =
    g.topics === undefined ? undefined : stringList(g.topics, `${where}.topics`, problems);
  const groups =
    g.groups === undefined ? undefined : stringList(g.groups, `${where}.groups`, problems);
  if (g.cluster !== undefined && typeof g.cluster !== 'boolean') {
    problems.push(`${where}.cluster must be true or false`);
  }
  if (g.topics === undefined && g.groups === undefined && g.cluster !== true) {
    problems.push(`${where} names no resource (topics, groups or cluster: true)`);
  }
  if (principals === undefined || operations === undefined) return undefined;
  return {
    principals,
    operations: operations as (Operation | '*')[],
    ...(topics === undefined ? {} : { topics }),
    ...(groups === undefined ? {} : { groups }),
    ...(g.cluster === true ? { cluster: true } : {}),
  };
}

/** Parses a policy file (YAML, of which JSON is a subset) and checks its shape completely. */
export function parsePolicy(text: string): PolicySpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new PolicyError([`not YAML or JSON: ${(err as Error).message.split('\n')[0] ?? ''}`]);
  }
  if (
    typeof doc !== 'object' ||
    doc === null ||
    !Array.isArray((doc as { grants?: unknown }).grants)
  ) {
    throw new PolicyError(['the document must be a mapping with a `grants` list']);
  }
  const problems: string[] = [];
  const grants = (doc as { grants: unknown[] }).grants
    .map((g, i) => grant(g, i, problems))
    .filter((g): g is GrantSpec => g !== undefined);
  for (const k of Object.keys(doc)) if (k !== 'grants') problems.push(`${k} is unknown`);
  if (problems.length > 0) throw new PolicyError(problems);
  return { grants };
}
