import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryAfterSeconds, TokenBucket } from './token-bucket';

test('a full bucket admits its burst, then refuses with the time until the next token', () => {
  const b = new TokenBucket(10, 5, 0); // 10/s, burst 5
  for (let i = 0; i < 5; i++) assert.equal(b.admit(1, 0), 0, `request ${i} is within the burst`);
  assert.equal(b.admit(1, 0), 100, 'one token comes back every 100 ms');
  assert.equal(b.admit(1, 50), 50);
  assert.equal(b.admit(1, 100), 0, 'admitted once refilled');
  assert.equal(b.admit(1, 100), 100);
});

test('refill never exceeds the capacity', () => {
  const b = new TokenBucket(10, 5, 0);
  for (let i = 0; i < 5; i++) b.admit(1, 0);
  assert.equal(b.isFull(10_000), true);
  for (let i = 0; i < 5; i++) assert.equal(b.admit(1, 10_000), 0);
  assert.ok(b.admit(1, 10_000) > 0, 'a long idle time does not bank more than the burst');
});

test('a cost above the capacity waits for a full bucket, then goes into debt', () => {
  const b = new TokenBucket(1000, 1000, 0); // 1000 bytes/s, burst 1000
  assert.equal(b.admit(5000, 0), 0, 'a full bucket admits one oversized body');
  assert.equal(b.waitMs(0, 0), 4000, 'in debt for 4000 bytes: 4 s until it is paid back');
  assert.equal(b.admit(1, 3999), 2, 'still in debt: 1 byte needs 2 ms more');
  assert.equal(b.admit(1, 4001), 0);
  assert.equal(b.admit(5000, 4001), 1000, 'the next oversized one waits for a full bucket');
});

test('charge takes unconditionally (fetched bytes) and waitMs(0) refuses only while in debt', () => {
  const b = new TokenBucket(100, 100, 0);
  assert.equal(b.waitMs(0, 0), 0);
  b.charge(350, 0);
  assert.equal(b.waitMs(0, 0), 2500, '250 bytes of debt at 100/s');
  assert.equal(b.waitMs(0, 2500), 0);
});

test('waitMs never takes anything', () => {
  const b = new TokenBucket(1, 1, 0);
  assert.equal(b.waitMs(1, 0), 0);
  assert.equal(b.waitMs(1, 0), 0);
  assert.equal(b.admit(1, 0), 0);
  assert.equal(b.waitMs(1, 0), 1000);
});

test('reconfigure keeps the balance, capped by the new capacity', () => {
  const b = new TokenBucket(10, 10, 0);
  b.charge(30, 0); // -20
  b.reconfigure(20, 5, 0);
  assert.equal(b.waitMs(0, 0), 1000, 'debt is kept: 20 tokens at the new 20/s');
  b.reconfigure(20, 5, 10_000);
  assert.equal(b.isFull(10_000), true);
  for (let i = 0; i < 5; i++) assert.equal(b.admit(1, 10_000), 0);
  assert.ok(b.admit(1, 10_000) > 0, 'the new burst is 5');
});

test('Retry-After is whole seconds, at least 1', () => {
  assert.equal(retryAfterSeconds(1), 1);
  assert.equal(retryAfterSeconds(1000), 1);
  assert.equal(retryAfterSeconds(1001), 2);
  assert.equal(retryAfterSeconds(0), 1);
});
