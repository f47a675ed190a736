import type { GatewayError } from '@kafka-gateway/server-kit';
import type { ConfigChange, ConfigEntry, ConfigSynonym } from '../kafka/kafka-admin.service';
import { parseAlterConfigs, parseUpdateConfig } from './admin-requests.parser';

/** The fields every v3 config resource carries (topic, broker and cluster configs). */
export interface ConfigFields {
  name: string;
  value: string | null;
  is_default: boolean;
  is_read_only: boolean;
  is_sensitive: boolean;
  source: string;
  synonyms: ConfigSynonym[];
}

export function configFields(e: ConfigEntry): ConfigFields {
  return {
    name: e.name,
    value: e.value,
    is_default: e.isDefault,
    is_read_only: e.isReadOnly,
    is_sensitive: e.isSensitive,
    source: e.source,
    synonyms: [...e.synonyms],
  };
}

/** What owns a set of configs: a topic, a broker, or the cluster-wide broker defaults. */
export interface ConfigOwner {
  /** Throws the owner's own 404 when it does not exist. */
  requireExists(): Promise<void>;
  entries(): Promise<readonly ConfigEntry[]>;
  /** Read-modify-write AlterConfigs (kafkajs has no IncrementalAlterConfigs). */
  alter(changes: readonly ConfigChange[], validateOnly: boolean): Promise<void>;
  /** The 404 for a config name the owner does not have. */
  notFound(name: string): GatewayError;
}

/**
 * The config operations of the v3 API, the same for every owner: list, get, `PUT` one (a null
 * value resets it), `DELETE` one (reset to the default) and `configs:alter` (several SET/DELETE
 * changes in one Kafka call). The caller checks the cluster id first, as Confluent does.
 */
export class OwnedConfigs {
  constructor(private readonly owner: ConfigOwner) {}

  async list(): Promise<readonly ConfigEntry[]> {
    await this.owner.requireExists();
    return this.owner.entries();
  }

  async get(name: string): Promise<ConfigEntry> {
    await this.owner.requireExists();
    return this.require(name);
  }

  update(name: string, body: unknown): Promise<void> {
    return this.alter([parseUpdateConfig(name, body)], false, true);
  }

  reset(name: string): Promise<void> {
    return this.alter([{ name, operation: 'DELETE', value: null }], false, true);
  }

  alterMany(body: unknown): Promise<void> {
    const { changes, validateOnly } = parseAlterConfigs(body);
    return this.alter(changes, validateOnly, false);
  }

  private async alter(
    changes: readonly ConfigChange[],
    validateOnly: boolean,
    mustExist: boolean,
  ): Promise<void> {
    await this.owner.requireExists();
    // The single-config resources name a config that must exist (404), like Confluent's GET.
    if (mustExist) for (const c of changes) await this.require(c.name);
    await this.owner.alter(changes, validateOnly);
  }

  private async require(name: string): Promise<ConfigEntry> {
    const entry = (await this.owner.entries()).find((e) => e.name === name);
    if (entry === undefined) throw this.owner.notFound(name);
    return entry;
  }
}
