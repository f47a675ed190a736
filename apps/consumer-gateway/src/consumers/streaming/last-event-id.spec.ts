import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import { eventId, parseLastEventId } from './last-event-id';

test('Last-Event-ID: absent or empty starts fresh; an event id resumes after it', () => {
  assert.equal(parseLastEventId(undefined), undefined);
  assert.equal(parseLastEventId(''), undefined);
  assert.deepEqual(parseLastEventId(eventId('orders.v1-x_y', 3, 42)), {
    tp: { topic: 'orders.v1-x_y', partition: 3 },
    offset: 42n,
  });
  assert.deepEqual(parseLastEventId('t:0:9223372036854775807')?.offset, 9223372036854775807n);
});

test('Last-Event-ID: anything else is a 400 invalid_request', () => {
  for (const bad of [
    't:0',
    't:0:1:2',
    ':0:1',
    't:-1:1',
    't:0:-1',
    't:x:1',
    't/x:0:1',
    't:2147483648:1',
    't:0:9223372036854775808',
    ['t:0:1', 't:0:2'],
  ]) {
    assert.throws(
      () => parseLastEventId(bad),
      (e: unknown) => e instanceof GatewayError && e.code === 'invalid_request',
      String(bad),
    );
  }
});
