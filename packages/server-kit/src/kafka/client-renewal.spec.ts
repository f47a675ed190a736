import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ClientRenewal } from './client-renewal';

class FakeClient {
  connected = false;
  disconnected = false;
  constructor(readonly n: number) {}
  async connect(): Promise<void> {
    this.connected = true;
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), {
  type: 'UNKNOWN_TOPIC_OR_PARTITION',
});

function setup(): {
  renewal: ClientRenewal<FakeClient>;
  current: () => FakeClient;
  made: () => number;
} {
  let current = new FakeClient(0);
  let made = 0;
  const renewal = new ClientRenewal(
    'test',
    () => new FakeClient(++made),
    (fresh) => {
      const old = current;
      current = fresh;
      return old;
    },
    pino({ level: 'silent' }),
  );
  return { renewal, current: () => current, made: () => made };
}

test('concurrent renewals share one fresh, connected client; then they are rate-limited', async () => {
  const { renewal, current, made } = setup();
  const [a, b] = await Promise.all([renewal.renew(), renewal.renew()]);
  assert.deepEqual([a, b], [true, true]);
  assert.equal(made(), 1);
  assert.equal(current().n, 1);
  assert.ok(current().connected);
  assert.equal(await renewal.renew(), false, 'a second renewal right after is refused');
  assert.equal(made(), 1);
});

test('call: an unknown-topic failure renews the client and retries once against the new one', async () => {
  const { renewal, current } = setup();
  const seen: number[] = [];
  const result = await renewal.call(async () => {
    seen.push(current().n);
    if (current().n === 0) throw unknownTopic;
    return 'ok';
  });
  assert.equal(result, 'ok');
  assert.deepEqual(seen, [0, 1]);
  // other errors are not retried
  await assert.rejects(
    renewal.call(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
});

test('after stop, nothing is renewed and the original error stands', async () => {
  const { renewal, made } = setup();
  renewal.stop();
  await assert.rejects(
    renewal.call(async () => Promise.reject(unknownTopic)),
    /does not host/,
  );
  assert.equal(made(), 0);
});
