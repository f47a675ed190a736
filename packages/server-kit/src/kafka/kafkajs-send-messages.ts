import Module from 'node:module';

/**
 * kafkajs 2.2.4's producer `sendMessages` (src/producer/sendMessages.js), replaced by this one,
 * the same except for three defects of the original:
 *
 * 1. **A retry re-sent records a broker had already written.** kafkajs sends one produce request
 *    per leader with `Promise.all` and retries the whole call at the first failure, while the
 *    other requests are still in flight. A request to a broker without an answer *yet* is made
 *    again; it waits for the broker lock behind the first, which then succeeds and advances the
 *    partitions' sequence numbers, so the second goes out with the next sequence and Kafka writes
 *    the records twice, both acknowledged. It happens when a broker is killed under load: the
 *    request to the dead leader fails at once while the others wait for acks=all until the ISR
 *    shrinks (test/faults, 64 connections: 12 duplicated acknowledged records in one run). Here an
 *    attempt waits for every request it made before the next one starts.
 * 2. **Answers were tracked per broker, not per partition.** A partition answered by broker A
 *    whose leadership moved to broker C was sent again to C (written twice); one that moved to a
 *    broker that had answered for other partitions was never sent (its records were reported
 *    without an offset). Here each topic-partition is sent until it is answered, once, by
 *    whichever broker leads it.
 * 3. **Records were grouped per partition in quadratic time** (`Object.assign(result,
 *    { [partition]: [...current, message] })` copies the partition's array for every record:
 *    38 ms of CPU for one send of 7,000 records; bench/results/2026-12-02-perf-profile.md). The
 *    grouping here is linear, and made once per call, so a retry sends the same records per
 *    partition under the same sequence numbers (which is what lets Kafka recognise a retry).
 *
 * kafkajs' `messageProducer.js` requires `./sendMessages` when kafkajs is first loaded, so this is
 * installed from the top of server-kit's index, before any module of the package loads kafkajs.
 * When kafkajs is already loaded (or laid out otherwise) it changes nothing and
 * `kafkajsSendMessagesInstalled` is false; the Kafka client factory logs that as a warning.
 */

/** What kafkajs' producer hands `sendMessages` (types of kafkajs internals, as used here). */
export interface SendMessagesDeps {
  readonly logger: KafkajsLogger;
  readonly cluster: ClusterLike;
  readonly partitioner: (args: {
    topic: string;
    partitionMetadata: readonly PartitionMetadata[];
    message: unknown;
  }) => number;
  readonly eosManager: EosManagerLike;
  readonly retrier: <T>(
    fn: (bail: (err: unknown) => void, retryCount: number, retryTime: number) => Promise<T>,
  ) => Promise<T>;
}

interface KafkajsLogger {
  debug(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
}

export interface PartitionMetadata {
  readonly partitionId: number;
  readonly leader?: number | null;
}

export interface BrokerLike {
  readonly nodeId: number;
  produce(request: {
    transactionalId: string | undefined;
    producerId: unknown;
    producerEpoch: unknown;
    acks: number;
    timeout: number | undefined;
    compression: unknown;
    topicData: TopicData[];
  }): Promise<ProduceResponse>;
}

export interface ClusterLike {
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findLeaderForPartitions(topic: string, partitions: string[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<BrokerLike>;
  removeBroker(args: { host: unknown; port: unknown }): void;
  isConnected(): boolean;
  connect(): Promise<void>;
  targetTopics?: Set<string>;
}

export interface EosManagerLike {
  isTransactional(): boolean;
  getTransactionalId(): string;
  addPartitionsToTransaction(topicData: TopicData[]): Promise<void>;
  getProducerId(): unknown;
  getProducerEpoch(): unknown;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  acquireBrokerLock(broker: BrokerLike): Promise<void>;
  releaseBrokerLock(broker: BrokerLike): void | Promise<void>;
}

export interface TopicData {
  readonly topic: string;
  readonly partitions: { partition: number; messages: unknown[]; firstSequence?: number }[];
}

interface ProduceResponse {
  readonly topics: { topicName: string; partitions: object[] }[];
}

interface SendArgs {
  readonly acks: number;
  readonly timeout?: number;
  readonly compression?: unknown;
  readonly topicMessages: readonly { topic: string; messages: readonly unknown[] }[];
}

interface KafkaError {
  readonly name?: string;
  readonly type?: string;
  readonly message?: string;
  readonly retriable?: boolean;
  readonly host?: unknown;
  readonly port?: unknown;
}

/** kafkajs' `groupMessagesPerPartition`, linear: partition → records in send order. */
export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: readonly PartitionMetadata[];
  messages: readonly unknown[];
  partitioner: SendMessagesDeps['partitioner'];
}): Record<number, unknown[]> {
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

const STALE_METADATA = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
]);

/** `createSendMessages` of kafkajs, with the three changes above. */
export function createSendMessages({
  logger,
  cluster,
  partitioner,
  eosManager,
  retrier,
}: SendMessagesDeps): (args: SendArgs) => Promise<object[]> {
  return async ({ acks, timeout, compression, topicMessages }) => {
    /** topic → partition → records, made once (the partitioner sees the first metadata). */
    const grouped = new Map<string, Record<number, unknown[]>>();
    /** topic → partitions a broker has answered for. */
    const answered = new Map<string, Set<number>>();
    const responses: object[] = [];

    const attempt = async (): Promise<void> => {
      await cluster.refreshMetadataIfNecessary();
      const perLeader = new Map<string, TopicData[]>();
      for (const { topic, messages } of topicMessages) {
        const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
        if (partitionMetadata.length === 0) {
          logger.debug('Producing to topic without metadata', {
            topic,
            targetTopics: Array.from(cluster.targetTopics ?? []),
          });
          throw new (metadataNotLoaded())('Producing to topic without metadata');
        }
        let perPartition = grouped.get(topic);
        if (perPartition === undefined) {
          perPartition = groupMessagesPerPartition({
            topic,
            partitionMetadata,
            messages,
            partitioner,
          });
          grouped.set(topic, perPartition);
        }
        const done = answered.get(topic);
        const pending = Object.keys(perPartition).filter((p) => done?.has(Number(p)) !== true);
        const leaders = cluster.findLeaderForPartitions(topic, pending);
        for (const nodeId of Object.keys(leaders)) {
          const partitions = leaders[nodeId]!.map((partition) => ({
            partition,
            messages: perPartition[partition]!,
          }));
          const list = perLeader.get(nodeId);
          if (list === undefined) perLeader.set(nodeId, [{ topic, partitions }]);
          else list.push({ topic, partitions });
        }
      }
      const requests = [...perLeader].map(([nodeId, topicData]) => produceTo(nodeId, topicData));
      // every request of this attempt has its outcome before the next attempt is planned
      const settled = await Promise.allSettled(requests);
      for (const s of settled) if (s.status === 'rejected') throw s.reason;
    };

    const produceTo = async (nodeId: string, topicData: TopicData[]): Promise<void> => {
      const broker = await cluster.findBroker({ nodeId });
      await eosManager.acquireBrokerLock(broker);
      try {
        if (eosManager.isTransactional()) await eosManager.addPartitionsToTransaction(topicData);
        for (const { topic, partitions } of topicData) {
          for (const entry of partitions) {
            entry.firstSequence = eosManager.getSequence(topic, entry.partition);
            eosManager.updateSequence(topic, entry.partition, entry.messages.length);
          }
        }
        let response: ProduceResponse;
        try {
          response = await broker.produce({
            transactionalId: eosManager.isTransactional()
              ? eosManager.getTransactionalId()
              : undefined,
            producerId: eosManager.getProducerId(),
            producerEpoch: eosManager.getProducerEpoch(),
            acks,
            timeout,
            compression,
            topicData,
          });
        } catch (e) {
          // not written, or written and unanswered: the retry carries the same sequence numbers
          for (const { topic, partitions } of topicData) {
            for (const entry of partitions) {
              eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
            }
          }
          throw e;
        }
        for (const { topic, partitions } of topicData) {
          let done = answered.get(topic);
          if (done === undefined) answered.set(topic, (done = new Set()));
          for (const entry of partitions) done.add(entry.partition);
        }
        if (acks !== 0) {
          for (const { topicName, partitions } of response.topics) {
            for (const partition of partitions) responses.push({ topicName, ...partition });
          }
        }
      } finally {
        await eosManager.releaseBrokerLock(broker);
      }
    };

    return retrier(async (bail, retryCount, retryTime) => {
      await cluster.addMultipleTargetTopics(topicMessages.map(({ topic }) => topic));
      try {
        await attempt();
        return responses;
      } catch (err) {
        const e = err as KafkaError;
        if (e.name === 'KafkaJSConnectionClosedError') {
          cluster.removeBroker({ host: e.host, port: e.port });
        }
        if (!cluster.isConnected()) {
          logger.debug(`Cluster has disconnected, reconnecting: ${e.message}`, {
            retryCount,
            retryTime,
          });
          await cluster.connect();
          await cluster.refreshMetadata();
          throw err;
        }
        if (
          (e.type !== undefined && STALE_METADATA.has(e.type)) ||
          e.name === 'KafkaJSMetadataNotLoaded' ||
          e.name === 'KafkaJSConnectionError' ||
          e.name === 'KafkaJSConnectionClosedError' ||
          (e.name === 'KafkaJSProtocolError' && e.retriable === true)
        ) {
          logger.error(`Failed to send messages: ${e.message}`, { retryCount, retryTime });
          await cluster.refreshMetadata();
          throw err;
        }
        logger.error(`${e.message}`, { retryCount, retryTime });
        if (e.retriable === true) throw err;
        bail(err);
        return responses; // not reached: bail rejects the retrier
      }
    });
  };
}

function metadataNotLoaded(): new (message: string) => Error {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' own error class
  const errors = require('kafkajs/src/errors') as {
    KafkaJSMetadataNotLoaded: new (message: string) => Error;
  };
  return errors.KafkaJSMetadataNotLoaded;
}

function install(): boolean {
  try {
    const producer = require.resolve('kafkajs/src/producer/messageProducer');
    const path = require.resolve('kafkajs/src/producer/sendMessages');
    if (require.cache[producer] !== undefined || require.cache[path] !== undefined) return false;
    const replacement = new Module(path);
    replacement.filename = path;
    replacement.loaded = true;
    replacement.exports = createSendMessages;
    require.cache[path] = replacement;
    return true;
  } catch {
    return false; // another kafkajs layout: its own sendMessages stays
  }
}

/** Whether this `sendMessages` replaced kafkajs' own in this process. */
export const kafkajsSendMessagesInstalled = install();
