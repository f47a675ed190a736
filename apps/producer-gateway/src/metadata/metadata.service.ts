import { Injectable } from '@nestjs/common';
import { GatewayError } from '@kafka-gateway/server-kit';
import type { PartitionMetadata } from 'kafkajs';
import { KafkaService } from '../kafka/kafka.service';

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
    const meta = await this.kafka.describeTopic(topic);
    if (meta === undefined) {
      // Confluent against a real cluster answers 40403 here (its UnknownTopicOrPartition mapping)
      throw new GatewayError(
        'unknown_topic_or_partition',
        'This server does not host this topic-partition.',
      );
    }
    const configs = await this.kafka.topicConfigs(topic);
    return { name: topic, configs, partitions: meta.partitions.map(toPartitionView) };
  }
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
