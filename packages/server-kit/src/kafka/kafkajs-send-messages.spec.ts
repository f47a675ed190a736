// server-kit's index first, as in the gateways' main: it installs sendMessages before kafkajs loads
import { kafkajsSendMessagesInstalled } from '../index';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type BrokerLike,
  type ClusterLike,
  createSendMessages,
  type EosManagerLike,
  groupMessagesPerPartition,
  type PartitionMetadata,
  type SendMessagesDeps,
  type TopicData,
} from './kafkajs-send-messages';

type CreateSendMessages = typeof createSendMessages;

/** kafkajs 2.2.4's own sendMessages, loaded beside ours to show what each scenario did before. */
function kafkajsOwn(): CreateSendMessages {
  const path = require.resolve('kafkajs/src/producer/sendMessages');
  const ours = require.cache[path];
  delete require.cache[path];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path) as CreateSendMessages;
  } finally {
    require.cache[path] = ours;
    delete require.cache[require.resolve('kafkajs/src/producer/groupMessagesPerPartition')];
  }
}

/** kafkajs 2.2.4's own grouping (src/producer/groupMessagesPerPartition.js), as reference. */
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

interface Message {
  readonly partition: number;
  readonly id: string;
}

/** What one broker was sent: partition, first sequence and record ids, per produce request. */
interface Written {
  readonly broker: number;
  readonly partition: number;
  readonly firstSequence: number;
  readonly ids: string[];
}

function connectionError(): Error {
  return Object.assign(new Error('Connection error: ECONNREFUSED'), {
    name: 'KafkaJSConnectionError',
    retriable: true,
  });
}

/**
 * A cluster of fake brokers: partition leaders now and after the next metadata refresh, and per
 * broker what its n-th produce does (answer after a delay, or fail). Brokers keep producer state
 * like Kafka: a batch whose sequence range they already wrote is answered, not written again.
 */
class FakeCluster implements ClusterLike {
  readonly written: Written[] = [];
  private readonly calls = new Map<number, number>();
  private readonly log = new Map<number, { seq: number; count: number; offset: number }[]>();
  private offsets = new Map<number, number>();
  private readonly brokers = new Map<number, BrokerLike>();

  constructor(
    private leaders: Record<number, number>,
    private readonly afterRefresh: Record<number, number>,
    private readonly behaviour: (broker: number, call: number) => Promise<void>,
  ) {}

  async refreshMetadataIfNecessary(): Promise<void> {}
  async refreshMetadata(): Promise<void> {
    this.leaders = this.afterRefresh;
  }
  async addMultipleTargetTopics(): Promise<void> {}
  findTopicPartitionMetadata(): PartitionMetadata[] {
    return Object.entries(this.leaders).map(([p, leader]) => ({ partitionId: Number(p), leader }));
  }
  findLeaderForPartitions(_topic: string, partitions: string[]): Record<string, number[]> {
    const result: Record<string, number[]> = {};
    for (const p of partitions) {
      const leader = this.leaders[Number(p)];
      if (leader === undefined) continue;
      (result[leader] ??= []).push(Number(p));
    }
    return result;
  }
  async findBroker({ nodeId }: { nodeId: string }): Promise<BrokerLike> {
    const id = Number(nodeId);
    // one object per broker, as kafkajs' broker pool answers (kafkajs keys answers by it)
    let broker = this.brokers.get(id);
    if (broker === undefined) this.brokers.set(id, (broker = this.broker(id)));
    return broker;
  }
  private broker(id: number): BrokerLike {
    return {
      nodeId: id,
      produce: async ({ topicData }) => {
        const call = (this.calls.get(id) ?? 0) + 1;
        this.calls.set(id, call);
        await this.behaviour(id, call);
        return {
          topics: topicData.map(({ topic, partitions }) => ({
            topicName: topic,
            partitions: partitions.map((p) => ({
              partition: p.partition,
              errorCode: 0,
              baseOffset: String(this.append(id, p)),
            })),
          })),
        };
      },
    };
  }
  removeBroker(): void {}
  isConnected(): boolean {
    return true;
  }
  async connect(): Promise<void> {}

  /** Kafka's duplicate detection: the same sequence range again answers the first offset. */
  private append(broker: number, p: TopicData['partitions'][number]): number {
    const seq = p.firstSequence ?? -1;
    const batches = this.log.get(p.partition) ?? [];
    const dup = batches.find((b) => b.seq === seq && b.count === p.messages.length);
    if (dup !== undefined) return dup.offset;
    const offset = this.offsets.get(p.partition) ?? 0;
    this.offsets.set(p.partition, offset + p.messages.length);
    batches.push({ seq, count: p.messages.length, offset });
    this.log.set(p.partition, batches);
    this.written.push({
      broker,
      partition: p.partition,
      firstSequence: seq,
      ids: p.messages.map((m) => (m as Message).id),
    });
    return offset;
  }
}

/** kafkajs' eosManager as sendMessages uses it: a lock per broker, a sequence per partition. */
function fakeEos(): EosManagerLike {
  const sequences = new Map<string, number>();
  const locks = new Map<number, Promise<void>>();
  const releases = new Map<number, () => void>();
  return {
    isTransactional: () => false,
    getTransactionalId: () => '',
    addPartitionsToTransaction: async () => undefined,
    getProducerId: () => 1000,
    getProducerEpoch: () => 0,
    getSequence: (topic, partition) => sequences.get(`${topic}/${partition}`) ?? 0,
    updateSequence: (topic, partition, increment) => {
      const key = `${topic}/${partition}`;
      sequences.set(key, (sequences.get(key) ?? 0) + increment);
    },
    acquireBrokerLock: async (broker) => {
      while (locks.has(broker.nodeId)) await locks.get(broker.nodeId);
      locks.set(broker.nodeId, new Promise<void>((r) => releases.set(broker.nodeId, r)));
    },
    releaseBrokerLock: (broker) => {
      locks.delete(broker.nodeId);
      releases.get(broker.nodeId)?.();
    },
  };
}

function deps(cluster: FakeCluster): SendMessagesDeps {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const createRetry = require('kafkajs/src/retry') as (o: object) => SendMessagesDeps['retrier'];
  return {
    logger: { debug: () => undefined, error: () => undefined },
    cluster,
    partitioner: ({ message }) => (message as Message).partition,
    eosManager: fakeEos(),
    retrier: createRetry({ retries: 3, initialRetryTime: 5, maxRetryTime: 20 }),
  };
}

const messages: Message[] = [
  { partition: 0, id: 'a' },
  { partition: 1, id: 'b' },
  { partition: 0, id: 'c' },
  { partition: 1, id: 'd' },
];

async function run(
  create: CreateSendMessages,
  cluster: FakeCluster,
): Promise<{ offsets: { partition: number; baseOffset: string }[] }> {
  const send = create(deps(cluster));
  const acks = (await send({ acks: -1, topicMessages: [{ topic: 't', messages }] })) as {
    partition: number;
    baseOffset: string;
  }[];
  return { offsets: acks.map(({ partition, baseOffset }) => ({ partition, baseOffset })) };
}

/** Every record id written, in order; a duplicate shows as an id twice. */
function ids(cluster: FakeCluster): string[] {
  return cluster.written.flatMap((w) => w.ids).sort();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('the linear grouping gives what kafkajs gives: partition → records in send order', () => {
  const partitionMetadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
  const many = Array.from({ length: 500 }, (_, i) => ({ partition: (i * 7919) % 3, i }));
  const partitioner = ({ message }: { message: unknown }): number =>
    (message as { partition: number }).partition;
  const args = { topic: 't', partitionMetadata, messages: many, partitioner };
  const linear = groupMessagesPerPartition(args);
  assert.deepEqual(linear, quadratic(args));
  assert.deepEqual(Object.keys(linear), ['0', '1', '2']);
  assert.deepEqual(
    linear[1]!.map((m) => (m as { i: number }).i),
    many.filter((m) => m.partition === 1).map((m) => m.i),
  );
  assert.deepEqual(groupMessagesPerPartition({ ...args, partitionMetadata: [] }), {});
});

test('server-kit installs it in place of kafkajs own before kafkajs is loaded', () => {
  assert.equal(kafkajsSendMessagesInstalled, true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded: unknown = require('kafkajs/src/producer/sendMessages');
  assert.equal(loaded, createSendMessages);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kafkajs = require('kafkajs') as { Kafka: unknown };
  assert.equal(typeof kafkajs.Kafka, 'function');
});

// Broker 2 (leader of partition 1) is killed: its request fails at once, while broker 1 waits
// for acks=all before it answers partition 0; partition 1 moves to broker 1.
const killedWhileOtherWaits = (): FakeCluster =>
  new FakeCluster({ 0: 1, 1: 2 }, { 0: 1, 1: 1 }, async (broker, call) => {
    if (broker === 2) throw connectionError();
    if (broker === 1 && call === 1) await sleep(60);
  });

test('a retry does not send again what a broker still answering then writes (no duplicate)', async () => {
  const cluster = killedWhileOtherWaits();
  const { offsets } = await run(createSendMessages, cluster);
  assert.deepEqual(ids(cluster), ['a', 'b', 'c', 'd']);
  assert.deepEqual(
    offsets.sort((x, y) => x.partition - y.partition),
    [
      { partition: 0, baseOffset: '0' },
      { partition: 1, baseOffset: '0' },
    ],
  );
  // and kafkajs 2.2.4's own, in the same scenario, wrote partition 0's records twice
  const before = killedWhileOtherWaits();
  await run(kafkajsOwn(), before);
  assert.deepEqual(ids(before), ['a', 'a', 'b', 'c', 'c', 'd']);
});

/**
 * Broker 1 answers partition 0 at once; broker 2 (partition 1) fails after 10 ms; then the
 * leaders are `afterRefresh`.
 */
const brokerTwoFails = (afterRefresh: Record<number, number>): FakeCluster =>
  new FakeCluster({ 0: 1, 1: 2 }, afterRefresh, async (broker) => {
    if (broker === 2) {
      await sleep(10);
      throw connectionError();
    }
  });
// ... and both partitions move to broker 3
const answeredThenMoved = (): FakeCluster => brokerTwoFails({ 0: 3, 1: 3 });

test('a partition already answered is not sent again after its leader changed', async () => {
  const cluster = answeredThenMoved();
  await run(createSendMessages, cluster);
  assert.deepEqual(ids(cluster), ['a', 'b', 'c', 'd']);
  assert.deepEqual(
    cluster.written.map((w) => [w.broker, w.partition]),
    [
      [1, 0],
      [3, 1],
    ],
  );
  const before = answeredThenMoved();
  await run(kafkajsOwn(), before);
  assert.deepEqual(ids(before), ['a', 'a', 'b', 'c', 'c', 'd']);
});

// ... and partition 1 moves to broker 1
const movedToAnsweredBroker = (): FakeCluster => brokerTwoFails({ 0: 1, 1: 1 });

test('a partition that moved to a broker which answered for others is still sent', async () => {
  const cluster = movedToAnsweredBroker();
  const { offsets } = await run(createSendMessages, cluster);
  assert.deepEqual(ids(cluster), ['a', 'b', 'c', 'd']);
  assert.deepEqual(offsets.map((o) => o.partition).sort(), [0, 1]);
  // kafkajs 2.2.4 never sent partition 1 and answered no offset for it
  const before = movedToAnsweredBroker();
  const own = await run(kafkajsOwn(), before);
  assert.deepEqual(ids(before), ['a', 'c']);
  assert.deepEqual(
    own.offsets.map((o) => o.partition),
    [0],
  );
});

test('a failed request is retried with the same records under the same sequence numbers', async () => {
  // broker 1 writes partition 0 but its answer is lost; the retry must be recognised as one
  const cluster = new FakeCluster({ 0: 1, 1: 1 }, { 0: 1, 1: 1 }, async () => undefined);
  let first = true;
  const d = deps(cluster);
  const findBroker = cluster.findBroker.bind(cluster);
  d.cluster.findBroker = async (args) => {
    const broker = await findBroker(args);
    return {
      nodeId: broker.nodeId,
      produce: async (request) => {
        const response = await broker.produce(request);
        if (first) {
          first = false;
          throw connectionError(); // written, unanswered
        }
        return response;
      },
    };
  };
  const acks = (await createSendMessages(d)({
    acks: -1,
    topicMessages: [{ topic: 't', messages }],
  })) as { partition: number; baseOffset: string }[];
  assert.deepEqual(ids(cluster), ['a', 'b', 'c', 'd']);
  assert.deepEqual(
    cluster.written.map((w) => w.firstSequence),
    [0, 0],
  );
  assert.deepEqual(acks.map((a) => a.baseOffset).sort(), ['0', '0']);
});

test('a non-retriable error fails the send without retrying', async () => {
  const refused = Object.assign(new Error('Topic authorization failed'), {
    name: 'KafkaJSProtocolError',
    type: 'TOPIC_AUTHORIZATION_FAILED',
    retriable: false,
  });
  let calls = 0;
  const cluster = new FakeCluster({ 0: 1, 1: 1 }, { 0: 1, 1: 1 }, async () => {
    calls++;
    throw refused;
  });
  await assert.rejects(
    createSendMessages(deps(cluster))({ acks: -1, topicMessages: [{ topic: 't', messages }] }),
    /Topic authorization failed/,
  );
  assert.equal(calls, 1);
  assert.deepEqual(cluster.written, []);
});
