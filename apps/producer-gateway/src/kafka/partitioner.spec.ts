import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PartitionMetadata } from 'kafkajs';
import { createPartitioner } from './partitioner';

function partitions(n: number): PartitionMetadata[] {
  return Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
    offlineReplicas: [],
  }));
}

// Generated with the Java client of Kafka 4.1.1 (org.apache.kafka.common.utils.Utils):
// base64(key) → { partitions: Utils.toPositive(Utils.murmur2(key)) % partitions }
const JAVA_VECTORS: Record<string, Record<number, number>> = {
  'MjE=': { 1: 0, 3: 0, 4: 0, 7: 3, 12: 0, 100: 40 },
  Zm9vYmFy: { 1: 0, 3: 0, 4: 2, 7: 0, 12: 6, 100: 66 },
  YS1saXR0bGUtYml0LWxvbmctc3RyaW5n: { 1: 0, 3: 2, 4: 0, 7: 1, 12: 8, 100: 12 },
  a2V5: { 1: 0, 3: 1, 4: 1, 7: 4, 12: 1, 100: 81 },
  'a2V5LTE=': { 1: 0, 3: 0, 4: 0, 7: 5, 12: 0, 100: 40 },
  'b3JkZXItNDI=': { 1: 0, 3: 0, 4: 0, 7: 1, 12: 0, 100: 24 },
  'w7xuw69jw7hkw6k=': { 1: 0, 3: 2, 4: 2, 7: 6, 12: 2, 100: 26 },
  '': { 1: 0, 3: 0, 4: 1, 7: 2, 12: 9, 100: 81 },
  MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY: { 1: 0, 3: 2, 4: 1, 7: 5, 12: 5, 100: 33 },
};

test('keyed records land where the Java client puts them', () => {
  const choose = createPartitioner();
  for (const [key64, expected] of Object.entries(JAVA_VECTORS)) {
    for (const [n, p] of Object.entries(expected)) {
      assert.equal(
        choose('t', partitions(Number(n)), Buffer.from(key64, 'base64')),
        p,
        `key ${key64} over ${n}`,
      );
    }
  }
});

test('unkeyed records spread over every partition', () => {
  const choose = createPartitioner();
  const seen = new Set<number>();
  for (let i = 0; i < 12; i++) seen.add(choose('t', partitions(4), null));
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
});
