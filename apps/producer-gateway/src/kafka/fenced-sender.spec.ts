import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { FencedSender } from './fenced-sender';

class FakeProducer {
  static created = 0;
  readonly id = ++FakeProducer.created;
  sent: string[] = [];
  connected = false;
  disconnected = false;
  failNext = false;
  failConnect = false;
  connect(): Promise<void> {
    if (this.failConnect) return Promise.reject(new Error('ECONNREFUSED'));
    this.connected = true;
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.disconnected = true;
    return Promise.resolve();
  }
  sendBatch(b: string): Promise<number> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('Connection error'));
    }
    this.sent.push(b);
    return Promise.resolve(this.id);
  }
}

const quiet = pino({ level: 'silent' });

test('a failed send retires the producer: the next batch goes out on a fresh one', async () => {
  const first = new FakeProducer();
  const swapped: FakeProducer[] = [];
  const sender = new FencedSender(
    first,
    () => new FakeProducer(),
    (f) => swapped.push(f),
    quiet,
  );
  assert.equal(await sender.send('a'), first.id);
  first.failNext = true;
  await assert.rejects(sender.send('b'));
  const id = await sender.send('c');
  assert.notEqual(id, first.id);
  assert.deepEqual(first.sent, ['a'], 'nothing more on the suspect producer');
  assert.equal(first.disconnected, true);
  assert.equal(swapped.length, 1);
  assert.deepEqual(swapped[0]!.sent, ['c']);
});

test('while no fresh producer connects, sends fail and nothing goes out on the old one', async () => {
  const first = new FakeProducer();
  let down = true;
  const sender = new FencedSender(
    first,
    () => {
      const p = new FakeProducer();
      p.failConnect = down;
      return p;
    },
    () => undefined,
    quiet,
  );
  first.failNext = true;
  await assert.rejects(sender.send('a'));
  await assert.rejects(sender.send('b'), /ECONNREFUSED/);
  assert.deepEqual(first.sent, []);
  down = false;
  assert.notEqual(await sender.send('c'), first.id);
  assert.deepEqual(first.sent, []);
});

test('successful sends keep the producer', async () => {
  const first = new FakeProducer();
  const sender = new FencedSender(
    first,
    () => new FakeProducer(),
    () => undefined,
    quiet,
  );
  for (const b of ['a', 'b', 'c']) assert.equal(await sender.send(b), first.id);
  assert.equal(sender.client, first);
});
