import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsService, OTHER_TOPICS } from './metrics.service';

test('topicLabel keeps the first METRICS_TOPIC_LABEL_LIMIT topics and counts the rest as _other', () => {
  const metrics = new MetricsService('t', 2);
  assert.equal(metrics.topicLabel('a'), 'a');
  assert.equal(metrics.topicLabel('b'), 'b');
  assert.equal(metrics.topicLabel('c'), OTHER_TOPICS);
  assert.equal(metrics.topicLabel('a'), 'a', 'a labelled topic keeps its label');
  assert.equal(new MetricsService('t', 0).topicLabel('a'), '_other');
});

test('default metrics include the event-loop delay', async () => {
  const body = (await new MetricsService('t').render()).body;
  assert.match(body, /^nodejs_eventloop_lag_p99_seconds\{service="t"\} /m);
});
