import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GatewayError,
  type KafkaClientFactory,
  type ManagedAdmin,
} from '@kafka-gateway/server-kit';
import { loadProducerConfig } from '../config/producer.config';
import { TopicMetadataService } from './topic-metadata.service';

function service(call: () => Promise<unknown>): TopicMetadataService {
  const admin = { call } as unknown as ManagedAdmin;
  return new TopicMetadataService(admin, {} as KafkaClientFactory, loadProducerConfig({}));
}

const listing = {
  topics: [{ name: 't', partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1] }] }],
};

test('a refresh that Kafka does not answer gives up after the wait with a retriable 503', async () => {
  const meta = service(() => new Promise(() => undefined)); // no broker answers
  const started = Date.now();
  await assert.rejects(
    meta.cachedPartitions('t', 50),
    (e: unknown) => e instanceof GatewayError && e.code === 'broker_not_available' && e.retriable,
  );
  assert.ok(Date.now() - started < 1000);
});

test('an answered refresh within the wait gives the partitions', async () => {
  const meta = service(() => Promise.resolve(listing));
  const partitions = await meta.cachedPartitions('t', 1000);
  assert.deepEqual(
    partitions?.map((p) => p.partitionId),
    [0],
  );
  assert.equal(await meta.cachedPartitions('missing', 1000), undefined);
});
