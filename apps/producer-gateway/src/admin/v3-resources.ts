/**
 * The common shapes of Confluent's v3 API: resources carry `kind` and `metadata.self` (plus a
 * CRN `resource_name`), collections carry `data`, relationships are `{related: url}`.
 */
export interface Relationship {
  readonly related: string;
}

export interface ResourceMetadata {
  readonly self: string;
  readonly resource_name?: string;
}

export type V3Resource<T> = { kind: string; metadata: ResourceMetadata } & T;

export interface V3Collection<T> {
  kind: string;
  metadata: { self: string; next: null };
  data: T[];
}

/** Builds links and CRNs of one cluster below a base URL (`scheme://host[:port][/path]`). */
export class V3Links {
  constructor(
    readonly base: string,
    readonly clusterId: string,
  ) {}

  /** `{base}/v3/clusters/{cluster}/seg1/seg2...`, each segment URL-encoded (`-` kept). */
  url(...segments: (string | number)[]): string {
    let url = `${this.base}/v3/clusters/${encodeURIComponent(this.clusterId)}`;
    for (const s of segments) url += `/${encodeURIComponent(String(s))}`;
    return url;
  }

  related(...segments: (string | number)[]): Relationship {
    return { related: this.url(...segments) };
  }

  /** `crn:///kafka={cluster}/type=name/...` (Confluent's default authority is empty). */
  crn(...pairs: [string, string | number][]): string {
    let crn = `crn:///kafka=${this.clusterId}`;
    for (const [type, name] of pairs) crn += `/${type}=${String(name)}`;
    return crn;
  }
}

export function resource<T extends object>(
  kind: string,
  self: string,
  resourceName: string | undefined,
  fields: T,
): V3Resource<T> {
  return {
    kind,
    metadata: resourceName === undefined ? { self } : { self, resource_name: resourceName },
    ...fields,
  };
}

export function collection<T>(kind: string, self: string, data: T[]): V3Collection<T> {
  return { kind, metadata: { self, next: null }, data };
}
