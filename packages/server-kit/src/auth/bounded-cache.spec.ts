import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedCache } from './bounded-cache';

test('entries expire and the least recently used goes first', () => {
  let now = 1000;
  const c = new BoundedCache<string>(2, () => now);
  c.set('a', 'A', 2000);
  c.set('b', 'B', 5000);
  assert.equal(c.get('a'), 'A'); // a is now the most recently used
  c.set('c', 'C', 5000);
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 'A');
  now = 2000;
  assert.equal(c.get('a'), undefined, 'expired at its time');
  assert.equal(c.get('c'), 'C');
  c.set('d', 'D', 1500);
  assert.equal(c.get('d'), undefined, 'an entry already expired is not stored');
});

test('size 0 remembers nothing', () => {
  const c = new BoundedCache<string>(0);
  c.set('a', 'A', Date.now() + 10_000);
  assert.equal(c.get('a'), undefined);
  assert.equal(c.size, 0);
});
