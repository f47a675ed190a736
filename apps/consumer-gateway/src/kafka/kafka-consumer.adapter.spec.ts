import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type KafkaCaller,
  type KafkaClientFactory,
  type NonMemberOffset,
  Secret,
} from '@kafka-gateway/server-kit';
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

function setup(committed: CommittedOffset[], as?: KafkaCaller, topics: string[] = ['t']) {
  const consumers: FakeConsumer[] = [];
  const nonMember: [string, NonMemberOffset[]][] = [];
  const deleted: string[] = [];
  /** Who each Kafka call ran as (undefined: the gateway), in call order. */
  const ranAs: [string, unknown][] = [];
  /** The kafkajs consumer options of each consumer made. */
  const options: { retry?: { restartOnFailure?: (e: Error) => Promise<boolean> } }[] = [];
  const factory = {
    consumer: (
      o: { groupId: string; retry?: { restartOnFailure?: (e: Error) => Promise<boolean> } },
      credential?: unknown,
    ) => {
      ranAs.push(['consumer', credential]);
      options.push(o);
      const c = new FakeConsumer(o.groupId, { t: [0] });
      consumers.push(c);
      return c;
    },
    commitAsNonMember: async (
      group: string,
      offsets: readonly NonMemberOffset[],
      caller?: KafkaCaller,
    ) => {
      ranAs.push(['commitAsNonMember', caller]);
      nonMember.push([group, [...offsets]]);
    },
  };
  const admin = {
    deleteGroup: async (g: string, caller?: KafkaCaller) => {
      ranAs.push(['deleteGroup', caller]);
      deleted.push(g);
    },
    cachedTopicNames: async () => [...topics],
    committedOffsets: async (_g: string, _t: string[], caller?: KafkaCaller) => {
      ranAs.push(['committedOffsets', caller]);
      return committed;
    },
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
    as,
  );
  return { adapter, consumers, nonMember, deleted, assignments, ranAs, options };
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

test("principal propagation: the consumer, the assignment's admin calls and its non-member commits all run as the creator", async () => {
  const caller: KafkaCaller = {
    principal: { name: 'alice', groups: [], mechanism: 'basic' },
    credential: { kind: 'password', username: 'alice', password: Secret.of('pw') },
  };
  const s = setup([{ topic: 't', partition: 0, offset: '5', metadata: null }], caller);
  await s.adapter.start({ kind: 'assign', partitions: [{ topic: 't', partition: 0 }] });
  await s.adapter.commit([{ topic: 't', partition: 0, offset: '9' }]);
  await s.adapter.stop();
  assert.deepEqual(
    s.ranAs.map(([call]) => call),
    [
      'deleteGroup',
      'committedOffsets',
      'commitAsNonMember',
      'consumer',
      'commitAsNonMember',
      'deleteGroup',
    ],
  );
  for (const [call, who] of s.ranAs) {
    assert.equal(who, call === 'consumer' ? caller.credential : caller, `${call} ran as alice`);
  }
  // and without propagation everything runs as the gateway
  const g = setup([]);
  await g.adapter.start({ kind: 'topics', topics: ['t'] });
  assert.deepEqual(g.ranAs, [['consumer', undefined]]);
});

test('a deleted topic stops the kafkajs consumer (no retry loop) until the topic exists again, then it starts again', async () => {
  const topics = ['t'];
  const s = setup([], undefined, topics);
  await s.adapter.start({ kind: 'topics', topics: ['t'] });
  assert.equal(s.consumers.length, 1);
  topics.length = 0; // deleted
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline) assert.fail(what);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until('the consumer stopped', () => s.consumers[0]?.disconnected === true);
  assert.equal(s.adapter.isRunning(), false);
  assert.equal(s.consumers.length, 1, 'no new consumer while the topic is gone');
  topics.push('t'); // recreated
  await until('a new consumer started', () => s.consumers.length === 2);
  await until('it runs', () => s.adapter.isRunning());
  await s.adapter.stop();
  assert.equal(s.consumers[1]?.disconnected, true);
});

test('kafkajs does not restart a consumer that crashed on a deleted topic (restartOnFailure)', async () => {
  const s = setup([]);
  await s.adapter.start({ kind: 'topics', topics: ['t'] });
  const restart = s.options[0]?.retry?.restartOnFailure;
  assert.ok(restart !== undefined);
  const unknown = Object.assign(new Error('This server does not host this topic-partition'), {
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    name: 'KafkaJSProtocolError',
  });
  assert.equal(await restart(unknown), false);
  assert.equal(await restart(new Error('Connection timeout')), true);
  await s.adapter.stop();
});
