import { Injectable } from '@nestjs/common';
import { GatewayError } from '@kafka-gateway/server-kit';
import type { PartitionMetadata } from 'kafkajs';
import { KafkaService, type TopicPartitions } from '../kafka/kafka.service';

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
  constructor(private readonly kafka: KafkaService) {}

  listTopics(): Promise<string[]> {
    return this.kafka.listTopics();
  }

  async getTopic(topic: string): Promise<TopicView> {
    const meta = await this.kafka.requireTopic(topic);
    const configs = await this.kafka.topicConfigs(topic);
    return { name: topic, configs, partitions: meta.partitions.map(toPartitionView) };
  }

  async listPartitions(topic: string): Promise<PartitionView[]> {
    return (await this.kafka.requireTopic(topic)).partitions.map(toPartitionView);
  }

  async getPartition(topic: string, partition: number): Promise<PartitionView> {
    return toPartitionView(requirePartition(await this.kafka.requireTopic(topic), partition));
  }

  async getPartitionOffsets(topic: string, partition: number): Promise<PartitionOffsets> {
    requirePartition(await this.kafka.requireTopic(topic), partition);
    const o = (await this.kafka.partitionOffsets(topic)).find((x) => x.partition === partition);
    if (o === undefined) throw new GatewayError('partition_not_found', 'Partition not found.');
    return { beginning_offset: Number(o.low), end_offset: Number(o.high) };
  }

  async listBrokers(): Promise<{ brokers: number[] }> {
    return { brokers: await this.kafka.brokerIds() };
  }
}

function requirePartition(meta: TopicPartitions, partition: number): PartitionMetadata {
  const p = meta.partitions.find((x) => x.partitionId === partition);
  if (p === undefined) throw new GatewayError('partition_not_found', 'Partition not found.');
  return p;
}

export function toPartitionView(p: PartitionMetadata): PartitionView {
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
