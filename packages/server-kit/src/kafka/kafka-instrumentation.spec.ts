import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { MetricsService } from '../metrics/metrics.service';
import { KafkaClientMetrics } from './kafka-instrumentation';

/** A kafkajs-shaped client: `events` names and `on`, fed by hand. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const events = {
    CONNECT: 'consumer.connect',
    DISCONNECT: 'consumer.disconnect',
    REQUEST: 'consumer.network.request',
    REQUEST_TIMEOUT: 'consumer.network.request_timeout',
    REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
    GROUP_JOIN: 'consumer.group_join',
    REBALANCING: 'consumer.rebalancing',
    CRASH: 'consumer.crash',
  };
  return {
    events,
    on: (name: string, listener: (e: unknown) => void) => emitter.on(name, listener),
    emit: (name: string, payload: unknown) =>
      emitter.emit(name, { id: '1', type: name, timestamp: Date.now(), payload }),
  };
}

test('kafkajs instrumentation events become client metrics', async () => {
  const metrics = new MetricsService('t');
  const client = new KafkaClientMetrics(metrics).instrument(fakeConsumer(), 'consumer');
  const e = client.events;
  client.emit(e.CONNECT, null);
  client.emit(e.REQUEST, { apiName: 'Fetch', duration: 12, pendingDuration: 3, broker: 'b:9092' });
  client.emit(e.REQUEST, { apiName: 'Fetch', duration: 8, pendingDuration: 0, broker: 'b:9092' });
  client.emit(e.REQUEST_TIMEOUT, { apiName: 'Fetch', broker: 'b:9092' });
  client.emit(e.REQUEST_QUEUE_SIZE, { broker: 'b:9092', queueSize: 4 });
  client.emit(e.REBALANCING, { groupId: 'g', memberId: 'm' });
  client.emit(e.GROUP_JOIN, { duration: 250, groupId: 'g' });
  client.emit(e.CRASH, { error: new Error('x'), groupId: 'g', restart: true });
  client.emit(e.DISCONNECT, null);

  const fetch = { client: 'consumer', api: 'Fetch' };
  assert.equal(
    await metrics.sample('kafka_gateway_kafka_request_duration_seconds_count', fetch),
    2,
  );
  assert.equal(
    await metrics.sample('kafka_gateway_kafka_request_duration_seconds_sum', fetch),
    0.02,
  );
  assert.equal(
    await metrics.sample('kafka_gateway_kafka_request_pending_seconds_sum', fetch),
    0.003,
  );
  assert.equal(await metrics.sample('kafka_gateway_kafka_request_timeouts_total', fetch), 1);
  assert.equal(
    await metrics.sample('kafka_gateway_kafka_request_queue_size_sum', { broker: 'b:9092' }),
    4,
  );
  for (const event of ['connect', 'disconnect']) {
    assert.equal(await metrics.sample('kafka_gateway_kafka_connection_events_total', { event }), 1);
  }
  assert.equal(await metrics.sample('kafka_gateway_kafka_group_rebalancing_total'), 1);
  assert.equal(await metrics.sample('kafka_gateway_kafka_group_join_duration_seconds_sum'), 0.25);
  assert.equal(
    await metrics.sample('kafka_gateway_kafka_consumer_crashes_total', { restart: 'true' }),
    1,
  );
});
