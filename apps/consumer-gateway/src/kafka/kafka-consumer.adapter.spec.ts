import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaClientFactory, NonMemberOffset } from '@kafka-gateway/server-kit';
import pino from 'pino';
import type { ConsumerEvents, TopicPartition } from './consumer-port';
import type { CommittedOffset, KafkaAdminService } from './kafka-admin.service';
import { KafkaConsumerAdapter } from './kafka-consumer.adapter';

type Handler = (e: { payload: Record<string, unknown> }) => void;

/** The part of a kafkajs consumer the adapter uses; it "joins" right after run(). */
class FakeConsumer {
  readonly events = { GROUP_JOIN: 'join', CRASH: 'crash' };
  readonly handlers = new Map<string, Handler>();
  readonly commits: unknown[] = [];
  disconnected = false;
  constructor(
    readonly groupId: string,
    private readonly joinWith: Record<string, number[]>,
  ) {}
  on(event: string, h: Handler): void {
    this.handlers.set(event, h);
  }
  async connect(): Promise<void> {}
  async subscribe(): Promise<void> {}
  async run(): Promise<void> {
    setTimeout(
      () => this.handlers.get('join')?.({ payload: { memberAssignment: this.joinWith } }),
      20,
    );
  }
  async commitOffsets(offsets: unknown): Promise<void> {
    this.commits.push(offsets);
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

function setup(committed: CommittedOffset[]) {
  const consumers: FakeConsumer[] = [];
  const nonMember: [string, NonMemberOffset[]][] = [];
  const deleted: string[] = [];
  const factory = {
    consumer: (o: { groupId: string }) => {
      const c = new FakeConsumer(o.groupId, { t: [0] });
      consumers.push(c);
      return c;
    },
    commitAsNonMember: async (group: string, offsets: readonly NonMemberOffset[]) => {
      nonMember.push([group, [...offsets]]);
    },
  };
  const admin = {
    deleteGroup: async (g: string) => void deleted.push(g),
    committedOffsets: async () => committed,
  };
  const assignments: TopicPartition[][] = [];
  const events: ConsumerEvents = {
    onBatch: () => undefined,
    onAssignment: (a) => void assignments.push(a),
    onCrash: () => undefined,
  };
  const adapter = new KafkaConsumerAdapter(
    factory as unknown as KafkaClientFactory,
    admin as unknown as KafkaAdminService,
    { group: 'g', instance: 'i', fromBeginning: true, sessionTimeoutMs: 10_000 },
    events,
    pino({ enabled: false }),
  );
  return { adapter, consumers, nonMember, deleted, assignments };
}

test("manual assignment: a private group seeded from the named group's commits; commits go to the named group", async () => {
  const s = setup([
    { topic: 't', partition: 0, offset: '5', metadata: null },
    { topic: 't', partition: 1, offset: '7', metadata: null },
  ]);
  await s.adapter.start({ kind: 'assign', partitions: [{ topic: 't', partition: 0 }] });
  assert.deepEqual(s.deleted, ['g.rest-assign.i'], 'stale offsets of an earlier use are removed');
  assert.deepEqual(s.nonMember, [
    ['g.rest-assign.i', [{ topic: 't', partition: 0, offset: '5', metadata: null }]],
  ]);
  assert.equal(s.consumers[0]?.groupId, 'g.rest-assign.i');
  assert.deepEqual(s.assignments, [[{ topic: 't', partition: 0 }]], 'start waits for the join');

  await s.adapter.commit([{ topic: 't', partition: 0, offset: '9' }]);
  assert.deepEqual(s.nonMember[1], [
    'g',
    [{ topic: 't', partition: 0, offset: '9', metadata: null }],
  ]);
  assert.equal(s.consumers[0]?.commits.length, 1, 'the private group gets the commit too');

  await s.adapter.stop();
  assert.equal(s.consumers[0]?.disconnected, true);
  assert.deepEqual(
    s.deleted,
    ['g.rest-assign.i', 'g.rest-assign.i'],
    'the private group is removed',
  );
});

test('a subscription stays in the named group and commits as its member', async () => {
  const s = setup([]);
  await s.adapter.start({ kind: 'topics', topics: ['t'] });
  assert.equal(s.consumers[0]?.groupId, 'g');
  await s.adapter.commit([{ topic: 't', partition: 0, offset: '1' }]);
  assert.equal(s.consumers[0]?.commits.length, 1);
  await s.adapter.stop();
  assert.deepEqual([s.nonMember, s.deleted], [[], []]);
});
