import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { readCommonConfig } from '../config/common.config';
import { EnvReader } from '../config/env-reader';
import { GatewayError } from '../errors/error-catalogue';
import { ReadinessService } from '../health/readiness.service';
import { KafkaClientFactory, keepConnecting } from './kafka-client.factory';
import { ManagedAdmin } from './managed-admin';

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

/** Nothing listens on port 1: any real connection attempt would fail (slowly, with retries). */
function factory(logger: Logger): KafkaClientFactory {
  const r = new EnvReader({ KAFKA_BROKERS: '127.0.0.1:1', LOG_LEVEL: 'silent' });
  const config = readCommonConfig(r, { clientId: 'test' });
  r.done();
  return new KafkaClientFactory(config, logger);
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

test('until the managed admin has connected, admin calls and new consumers fail at once with a retriable 503', async () => {
  const { logger } = capture();
  const f = factory(logger);
  const admin = new ManagedAdmin(f, logger, new ReadinessService());
  // as onModuleInit registers it, without starting the background connection
  f.connectedWhen(() => admin.isConnected());
  let called = false;
  const started = Date.now();
  await assert.rejects(
    admin.call(async () => {
      called = true;
    }),
    (err: unknown) =>
      err instanceof GatewayError && err.code === 'broker_not_available' && err.retriable,
  );
  assert.equal(called, false, 'kafkajs is not asked (it would retry its connection for ~10 s)');
  await assert.rejects(
    f.consumer({ groupId: 'g' }).connect(),
    (err: unknown) =>
      err instanceof GatewayError && err.code === 'broker_not_available' && err.retriable,
  );
  assert.ok(Date.now() - started < 500, `answered after ${Date.now() - started} ms`);
  await admin.onApplicationShutdown();
});
