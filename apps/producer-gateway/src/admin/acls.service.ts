import { Injectable } from '@nestjs/common';
import { type AclBinding, KafkaAdminService } from '../kafka/kafka-admin.service';
import { parseAclFilter, parseCreateAcl } from './admin-requests.parser';
import { ClustersService } from './clusters.service';
import {
  collection,
  resource,
  type V3Collection,
  type V3Links,
  type V3Resource,
} from './v3-resources';

export interface AclData {
  cluster_id: string;
  resource_type: string;
  resource_name: string;
  pattern_type: string;
  principal: string;
  host: string;
  operation: string;
  permission: string;
}

export interface CreatedAcl {
  readonly location: string;
}

/** v3 ACLs: search, create and delete with Confluent's filters (Kafka's authorizer decides). */
@Injectable()
export class AclsService {
  constructor(
    private readonly clusters: ClustersService,
    private readonly admin: KafkaAdminService,
  ) {}

  async search(
    base: string,
    clusterId: string,
    query: Record<string, unknown>,
  ): Promise<V3Collection<V3Resource<AclData>>> {
    const links = await this.clusters.links(base, clusterId);
    const filter = parseAclFilter(query);
    const acls = await this.admin.describeAcls(filter);
    const self = `${links.url('acls')}?${aclQuery({
      resourceType: filter.resourceType,
      resourceName: filter.resourceName ?? '',
      patternType: filter.patternType,
      principal: filter.principal ?? '',
      host: filter.host ?? '',
      operation: filter.operation,
      permission: filter.permission,
    })}`;
    return collection(
      'KafkaAclList',
      self,
      sorted(acls).map((a) => aclData(links, a)),
    );
  }

  async create(base: string, clusterId: string, body: unknown): Promise<CreatedAcl> {
    const links = await this.clusters.links(base, clusterId);
    const acl = parseCreateAcl(body);
    await this.admin.createAcl(acl);
    return { location: `${links.url('acls')}?${aclQuery(acl)}` };
  }

  async delete(
    base: string,
    clusterId: string,
    query: Record<string, unknown>,
  ): Promise<{ data: V3Resource<AclData>[] }> {
    const links = await this.clusters.links(base, clusterId);
    const deleted = await this.admin.deleteAcls(parseAclFilter(query));
    return { data: sorted(deleted).map((a) => aclData(links, a)) };
  }
}

/** Confluent's order: resource type, name, pattern type, principal, host, operation, permission. */
function sorted(acls: AclBinding[]): AclBinding[] {
  const key = (a: AclBinding): string[] => [
    a.resourceType,
    a.resourceName,
    a.patternType,
    a.principal,
    a.host,
    a.operation,
    a.permission,
  ];
  return [...acls].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i]! < kb[i]!) return -1;
      if (ka[i]! > kb[i]!) return 1;
    }
    return 0;
  });
}

function aclQuery(a: AclBinding): string {
  return new URLSearchParams({
    resource_type: a.resourceType,
    resource_name: a.resourceName,
    pattern_type: a.patternType,
    principal: a.principal,
    host: a.host,
    operation: a.operation,
    permission: a.permission,
  }).toString();
}

function aclData(links: V3Links, a: AclBinding): V3Resource<AclData> {
  return resource('KafkaAcl', `${links.url('acls')}?${aclQuery(a)}`, undefined, {
    cluster_id: links.clusterId,
    resource_type: a.resourceType,
    resource_name: a.resourceName,
    pattern_type: a.patternType,
    principal: a.principal,
    host: a.host,
    operation: a.operation,
    permission: a.permission,
  });
}
