/**
 * kafkajs 2.2.4 groups each topic's records by partition with
 * `Object.assign(result, { [partition]: [...current, message] })`: every record copies the
 * partition's array so far, so a coalesced send of n records costs O(n²/partitions) copies and
 * as much garbage (a CPU profile of batched produce, 100 B × 100 records c16, showed it with the
 * GC it causes; `bench/results/2026-12-02-perf-profile.md`). This installs the same grouping in
 * linear time: the same object of partition → records, each array in send order.
 *
 * `sendMessages.js` captures the function when kafkajs is first loaded, so this runs from the
 * top of server-kit's index, before any module of the package loads kafkajs. When kafkajs is
 * already loaded it changes nothing (`installed` is false) and kafkajs keeps its own version.
 */
interface GroupArgs {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly unknown[];
  partitioner: (args: {
    topic: string;
    partitionMetadata: readonly unknown[];
    message: unknown;
  }) => number;
}

/** kafkajs' `groupMessagesPerPartition`, linear. */
export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupArgs): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (current === undefined) result[partition] = [message];
    else current.push(message);
  }
  return result;
}

function install(): boolean {
  try {
    const sendMessages = require.resolve('kafkajs/src/producer/sendMessages');
    if (require.cache[sendMessages] !== undefined) return false;
    const path = require.resolve('kafkajs/src/producer/groupMessagesPerPartition');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the module to replace
    require(path);
    const cached = require.cache[path];
    if (cached === undefined) return false;
    cached.exports = groupMessagesPerPartition;
    return true;
  } catch {
    return false; // another kafkajs layout: its own grouping stays
  }
}

/** Whether the linear grouping replaced kafkajs' own in this process. */
export const kafkajsGroupingInstalled = install();
