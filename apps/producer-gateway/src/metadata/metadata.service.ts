import { Authorizer, type Caller } from '@kafka-gateway/server-kit';
import { Injectable } from '@nestjs/common';
import { Errors } from '@kafka-gateway/server-kit';
import { KafkaAdminService } from '../kafka/kafka-admin.service';
import {
  findPartition,
  type PartitionInfo,
  TopicMetadataService,
  type TopicPartitions,
} from '../kafka/topic-metadata.service';

export interface ReplicaView {
  broker: number;
  leader: boolean;
  in_sync: boolean;
}

export interface PartitionView {
  partition: number;
  leader: number;
  replicas: ReplicaView[];
}

export interface PartitionOffsets {
  beginning_offset: number;
  end_offset: number;
}

export interface TopicView {
  name: string;
  configs: Record<string, string>;
  partitions: PartitionView[];
}

/** v2 metadata resources (`/topics`, `/topics/{t}`) in Confluent's shapes. */
@Injectable()
export class MetadataService {
  constructor(
    private readonly metadata: TopicMetadataService,
    private readonly admin: KafkaAdminService,
    private readonly authz: Authorizer,
  ) {}

  /** The topics the caller may describe (all of them without a policy). */
  async listTopics(caller: Caller): Promise<string[]> {
    const names = await this.metadata.listTopics();
    return this.authz.filter(caller.principal, 'describe', 'topic', names, (n) => n);
  }

  async getTopic(topic: string): Promise<TopicView> {
    const meta = await this.metadata.requireTopic(topic);
    const configs = await this.admin.currentConfigs(topic);
    return { name: topic, configs, partitions: meta.partitions.map(toPartitionView) };
  }

  async listPartitions(topic: string): Promise<PartitionView[]> {
    return (await this.metadata.requireTopic(topic)).partitions.map(toPartitionView);
  }

  async getPartition(topic: string, partition: number): Promise<PartitionView> {
    return toPartitionView(requirePartition(await this.metadata.requireTopic(topic), partition));
  }

  async getPartitionOffsets(topic: string, partition: number): Promise<PartitionOffsets> {
    requirePartition(await this.metadata.requireTopic(topic), partition);
    const o = (await this.admin.partitionOffsets(topic)).find((x) => x.partition === partition);
    if (o === undefined) throw Errors.partitionNotFound();
    return { beginning_offset: Number(o.low), end_offset: Number(o.high) };
  }

  async listBrokers(): Promise<{ brokers: number[] }> {
    return { brokers: await this.admin.brokerIds() };
  }
}

function requirePartition(meta: TopicPartitions, partition: number): PartitionInfo {
  const p = findPartition(meta, partition);
  if (p === undefined) throw Errors.partitionNotFound();
  return p;
}

function toPartitionView(p: PartitionInfo): PartitionView {
  const isr = new Set(p.isr);
  return {
    partition: p.partitionId,
    leader: p.leader,
    replicas: p.replicas.map((broker) => ({
      broker,
      leader: broker === p.leader,
      in_sync: isr.has(broker),
    })),
  };
}
