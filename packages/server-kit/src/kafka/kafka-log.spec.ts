import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logLevel } from 'kafkajs';
import pino from 'pino';
import { Writable } from 'node:stream';
import { pinoLogCreator } from './kafka-log';

function capture(): {
  lines: { level: number; msg: string }[];
  log: ReturnType<typeof pinoLogCreator>;
} {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { lines, log: pinoLogCreator(pino({ level: 'debug' }, sink)) };
}

test("kafkajs errors are warnings, except a deleted topic's per-retry answers (debug)", async () => {
  const { lines, log } = capture();
  const write = log(logLevel.INFO);
  const entry = (message: string, error: string) => ({
    namespace: 'Connection',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: { timestamp: '', message, error },
  });
  write(
    entry('Response Fetch(key: 1, version: 11)', 'This server does not host this topic-partition'),
  );
  write(entry('Response Metadata(key: 3, version: 6)', 'The coordinator is loading'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [20, 'Response Fetch(key: 1, version: 11)'],
      [40, 'Response Metadata(key: 3, version: 6)'],
    ],
  );
});
