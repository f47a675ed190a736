import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { keepConnecting } from './kafka-client.factory';

function capture(): { logger: Logger; levels: () => string[] } {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return { logger, levels: () => lines.map((l) => `${pino.levels.labels[l.level]}: ${l.msg}`) };
}

test('the clients of one process failing for the same reason log one error line between them', async () => {
  const { logger, levels } = capture();
  const refused = (): Promise<void> =>
    Promise.reject(new Error('SASL SCRAM SHA512 authentication failed: invalid credentials'));
  let stop = false;
  const loops = [
    keepConnecting(refused, logger, () => stop), // the producer
    keepConnecting(refused, logger, () => stop), // the admin
  ];
  await new Promise((r) => setTimeout(r, 900)); // a few attempts each
  stop = true;
  assert.deepEqual(await Promise.all(loops), [false, false]);
  const errors = levels().filter((l) => l.startsWith('error'));
  assert.deepEqual(errors, ['error: cannot connect to Kafka; retrying until it works']);
  assert.ok(levels().filter((l) => l.startsWith('debug')).length >= 3, levels().join('\n'));

  // a new reason is news again, once; another process's logger is not affected
  const other = capture();
  let stop2 = false;
  const again = keepConnecting(
    () => Promise.reject(new Error('Connection error: certificate unknown')),
    logger,
    () => stop2,
  );
  const elsewhere = keepConnecting(refused, other.logger, () => stop2);
  await new Promise((r) => setTimeout(r, 300));
  stop2 = true;
  await Promise.all([again, elsewhere]);
  assert.equal(levels().filter((l) => l.startsWith('error')).length, 2);
  assert.equal(other.levels().filter((l) => l.startsWith('error')).length, 1);
});
