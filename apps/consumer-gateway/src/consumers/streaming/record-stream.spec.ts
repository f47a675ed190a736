import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { GatewayError } from '@kafka-gateway/server-kit';
import type { RecordView } from '../consumer-instance';
import { renderRecords } from '../records.renderer';
import { HEARTBEAT, renderEvents, runRecordStream, type StreamSource } from './record-stream';

class FakeSink extends EventEmitter {
  closed = false;
  ended = false;
  readonly chunks: string[] = [];
  /** write() answers false (socket full) while this is set. */
  full = false;
  write(chunk: string | Buffer): boolean {
    this.chunks.push(chunk.toString());
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  disconnect(): void {
    this.closed = true;
    this.emit('close');
  }
}

const rec = (offset: number, partition = 0): RecordView => ({
  topic: 't',
  key: null,
  value: { n: offset },
  partition,
  offset,
});

/** Answers each poll from `batches` in turn, then empty polls; counts the polls. */
class FakeSource implements StreamSource {
  polls = 0;
  rewound: RecordView[][] = [];
  onPoll: ((n: number) => void) | undefined;
  constructor(private readonly batches: (RecordView[] | Error)[]) {}
  async poll(): Promise<RecordView[]> {
    this.polls++;
    this.onPoll?.(this.polls);
    await new Promise((r) => setImmediate(r));
    const next = this.batches.shift() ?? [];
    if (next instanceof Error) throw next;
    return next;
  }
  rewind(records: readonly RecordView[]): void {
    this.rewound.push([...records]);
  }
}

const options = { heartbeatMs: 15_000, pollTimeoutMs: 1000, maxBytes: 1024 };

test('an event per record: id topic:partition:offset, data one element of the array form', () => {
  const records = [rec(4), rec(9, 2)];
  const events = renderEvents(records).toString('utf8');
  const array = JSON.parse(renderRecords(records)) as unknown[];
  const blocks = events.split('\n\n').filter((b) => b !== '');
  assert.equal(blocks.length, 2);
  assert.deepEqual(
    blocks.map((b) => b.split('\n')[0]),
    ['id: t:0:4', 'id: t:2:9'],
  );
  assert.deepEqual(
    blocks.map((b) => JSON.parse(b.split('\n')[1]!.slice('data: '.length)) as unknown),
    array,
  );
});

test('records are written as they arrive; a disconnect ends the loop', async () => {
  const sink = new FakeSink();
  const source = new FakeSource([[rec(0)], [], [rec(1), rec(2)]]);
  source.onPoll = (n) => {
    if (n === 4) sink.disconnect();
  };
  await runRecordStream(source, sink, options);
  const ids = sink.chunks.join('').match(/^id: .*$/gm);
  assert.deepEqual(ids, ['id: t:0:0', 'id: t:0:1', 'id: t:0:2']);
  assert.equal(source.polls, 4);
  assert.equal(sink.listenerCount('close'), 0, 'the close listener is removed');
});

test('records fetched while the client left are rewound, not lost', async () => {
  const sink = new FakeSink();
  const source = new FakeSource([[rec(5), rec(6)]]);
  source.onPoll = () => sink.disconnect();
  await runRecordStream(source, sink, options);
  assert.deepEqual(sink.chunks, []);
  assert.deepEqual(source.rewound, [[rec(5), rec(6)]]);
});

test('back-pressure: no fetch while the socket is full, fetching resumes on drain', async () => {
  const sink = new FakeSink();
  sink.full = true;
  const source = new FakeSource([[rec(0)], [rec(1)]]);
  const loop = runRecordStream(source, sink, options);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(source.polls, 1, 'waits for drain after a write that was not taken whole');
  assert.equal(sink.chunks.length, 1);
  sink.full = false;
  sink.emit('drain');
  for (let i = 0; i < 20 && source.polls < 3; i++) await new Promise((r) => setImmediate(r));
  assert.ok(source.polls >= 3, `polled ${source.polls} times after drain`);
  sink.disconnect();
  await loop;
  assert.match(sink.chunks.join(''), /id: t:0:1/);
});

test('a disconnect while waiting for drain ends the loop', async () => {
  const sink = new FakeSink();
  sink.full = true;
  const source = new FakeSource([[rec(0)]]);
  const loop = runRecordStream(source, sink, options);
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  sink.disconnect();
  await loop;
  assert.equal(source.polls, 1);
});

test('a heartbeat comment after heartbeatMs without events, none before', async () => {
  let clock = 0;
  const sink = new FakeSink();
  const source = new FakeSource([]);
  source.onPoll = (n) => {
    clock += 400; // each empty poll takes 400 ms of the fake clock
    if (n === 8) sink.disconnect();
  };
  await runRecordStream(source, sink, { ...options, heartbeatMs: 1000, now: () => clock });
  // polls end at 400, 800, 1200 (beat), 1600, 2000, 2400 (beat), 2800; the 8th sees the close
  assert.deepEqual(sink.chunks, [HEARTBEAT, HEARTBEAT]);
});

test('a failing fetch ends the stream with an error event carrying the Confluent body', async () => {
  const sink = new FakeSink();
  const errors: unknown[] = [];
  const source = new FakeSource([
    [rec(0)],
    new GatewayError('record_not_decodable', 'cannot be decoded'),
  ]);
  await runRecordStream(source, sink, { ...options, onError: (e) => errors.push(e) });
  const last = sink.chunks.at(-1)!;
  assert.equal(last, 'event: error\ndata: {"error_code":40801,"message":"cannot be decoded"}\n\n');
  assert.ok(sink.ended);
  assert.equal(errors.length, 1);
});

test('a client gone before the loop starts is not polled', async () => {
  const sink = new FakeSink();
  sink.closed = true;
  const source = new FakeSource([[rec(0)]]);
  await runRecordStream(source, sink, options);
  assert.equal(source.polls, 0);
});
