// server-kit's index first, as in the gateways' main: it installs the grouping before kafkajs loads
import { kafkajsGroupingInstalled } from '../index';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupMessagesPerPartition } from './kafkajs-grouping';

/** kafkajs 2.2.4's own implementation (src/producer/groupMessagesPerPartition.js), as reference. */
function quadratic({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: Parameters<typeof groupMessagesPerPartition>[0]): Record<number, unknown[]> {
  if (partitionMetadata.length === 0) return {};
  return messages.reduce<Record<number, unknown[]>>((result, message) => {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition] ?? [];
    return Object.assign(result, { [partition]: [...current, message] });
  }, {});
}

test('the linear grouping gives what kafkajs gives: partition → records in send order', () => {
  const partitionMetadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
  const messages = Array.from({ length: 500 }, (_, i) => ({ partition: (i * 7919) % 3, i }));
  const partitioner = ({ message }: { message: unknown }): number =>
    (message as { partition: number }).partition;
  const args = { topic: 't', partitionMetadata, messages, partitioner };
  const linear = groupMessagesPerPartition(args);
  assert.deepEqual(linear, quadratic(args));
  assert.deepEqual(Object.keys(linear), ['0', '1', '2']);
  assert.deepEqual(
    linear[1]!.map((m) => (m as { i: number }).i),
    messages.filter((m) => m.partition === 1).map((m) => m.i),
  );
  assert.deepEqual(groupMessagesPerPartition({ ...args, partitionMetadata: [] }), {});
});

test('server-kit installs it in place of kafkajs own before kafkajs is loaded', () => {
  assert.equal(kafkajsGroupingInstalled, true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded: unknown = require('kafkajs/src/producer/groupMessagesPerPartition');
  assert.equal(loaded, groupMessagesPerPartition);
});
