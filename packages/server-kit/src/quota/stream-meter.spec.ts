import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { meterStreamWrites } from './stream-meter';

class FakeResponse extends EventEmitter {
  readonly written: string[] = [];
  socketFull = false;
  write(chunk: string | Buffer): boolean {
    this.written.push(chunk.toString());
    return !this.socketFull;
  }
}

test('within the quota: writes pass through, charged by their byte length', () => {
  const res = new FakeResponse();
  const charged: number[] = [];
  meterStreamWrites(res, (bytes) => {
    charged.push(bytes);
    return 0;
  });
  assert.equal(res.write('id: t:0:1\ndata: "é"\n\n'), true);
  assert.equal(res.write(Buffer.from('abc')), true);
  assert.deepEqual(charged, [Buffer.byteLength('id: t:0:1\ndata: "é"\n\n'), 3]);
  assert.deepEqual(res.written, ['id: t:0:1\ndata: "é"\n\n', 'abc']);
  // the socket's own back-pressure is still reported
  res.socketFull = true;
  assert.equal(res.write('x'), false);
});

test('in debt: the write is made, back-pressure is reported, drain follows the debt', async () => {
  const res = new FakeResponse();
  let debtUntil = 0;
  meterStreamWrites(res, (bytes) => {
    if (bytes > 10) debtUntil = Date.now() + 50;
    return Math.max(0, debtUntil - Date.now());
  });
  const started = Date.now();
  assert.equal(res.write('a chunk over the quota'), false);
  assert.deepEqual(res.written, ['a chunk over the quota'], 'nothing is dropped');
  // a second write while in debt does not add a second drain
  assert.equal(res.write('y'), false);
  let drains = 0;
  res.on('drain', () => drains++);
  // the meter's timer does not hold the process open (unref): this one does, for the test
  const hold = setTimeout(() => undefined, 1000);
  await once(res, 'drain');
  assert.ok(Date.now() - started >= 45, 'drain waits for the debt to be paid');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(drains, 1);
  clearTimeout(hold);
  assert.equal(res.write('z'), true, 'out of debt: writes flow again');
});
