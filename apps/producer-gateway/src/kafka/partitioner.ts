import { type PartitionMetadata, Partitioners } from 'kafkajs';
import type { PartitionInfo } from './topic-metadata.service';

export type ChoosePartition = (
  topic: string,
  partitions: readonly PartitionInfo[],
  key: Buffer | null,
) => number;

/**
 * The Java client's default partitioning for keyed records (`toPositive(murmur2(key)) % n` over
 * all partitions), so HTTP and Java producers place a key on the same partition; records without
 * a key go round-robin over partitions that have a leader. kafkajs' DefaultPartitioner is exactly
 * that; this module is its only user.
 */
export function createPartitioner(): ChoosePartition {
  const partitioner = Partitioners.DefaultPartitioner();
  return (topic, partitions, key) =>
    partitioner({
      topic,
      // kafkajs reads only partitionId and leader of each partition
      partitionMetadata: partitions as unknown as PartitionMetadata[],
      message: { key, value: null },
    });
}
