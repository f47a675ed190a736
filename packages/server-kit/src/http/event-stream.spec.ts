import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wantsEventStream } from './event-stream';

test('Accept: text/event-stream among other ranges, with parameters, any case', () => {
  assert.ok(wantsEventStream('text/event-stream'));
  assert.ok(wantsEventStream('application/json, Text/Event-Stream;q=0.9'));
  assert.ok(!wantsEventStream(undefined));
  assert.ok(!wantsEventStream(['text/event-stream', 'text/event-stream']));
  assert.ok(!wantsEventStream('application/vnd.kafka.json.v2+json'));
  assert.ok(!wantsEventStream('text/event-streams'));
});
