import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger, startGateway, type RunningGateway } from '@kafka-gateway/server-kit';
import { independentKafka } from '../kafka/independent-client.test-support';
import { AppModule } from '../app.module';
import { loadConsumerConfig } from '../config/consumer.config';

// The consumer gateway in-process against the real Kafka of the stack, with a short idle
// timeout: expiry and graceful shutdown are observable within a test.
const brokers = process.env['KAFKA_BROKERS'];
if (brokers === undefined) throw new Error('KAFKA_BROKERS is not set (run through npm test)');

const kafka = independentKafka(brokers);
let gw: RunningGateway;
let base: string;
const V2 = 'application/vnd.kafka.v2+json';

before(async () => {
  const config = loadConsumerConfig({
    KAFKA_BROKERS: brokers,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    CONSUMER_INSTANCE_TIMEOUT_MS: '1500',
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('consumer-gateway-test', 'silent');
  gw = await startGateway({
    rootModule: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals: false,
  });
  base = `http://127.0.0.1:${gw.port}`;
  const deadline = Date.now() + 20_000;
  while ((await fetch(`http://127.0.0.1:${gw.managementPort}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('consumer gateway not ready');
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await gw.shutdown('test end');
});

async function createTopic(): Promise<string> {
  const topic = `int-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

async function groupState(group: string): Promise<{ state: string; members: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const { groups } = await admin.describeGroups([group]);
  await admin.disconnect();
  return { state: groups[0]?.state ?? 'Unknown', members: groups[0]?.members.length ?? 0 };
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': V2 },
    body: JSON.stringify(body),
  });
}

test('an idle instance expires: 404/40403 afterwards and it has left its group', async () => {
  const topic = await createTopic();
  const group = `int-${randomUUID().slice(0, 8)}`;
  assert.equal((await post(`/consumers/${group}`, { name: 'idle' })).status, 200);
  assert.equal(
    (await post(`/consumers/${group}/instances/idle/subscription`, { topics: [topic] })).status,
    204,
  );
  // active use keeps it alive past the timeout
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      (await fetch(`${base}/consumers/${group}/instances/idle/subscription`)).status,
      200,
    );
  }
  await new Promise((r) => setTimeout(r, 3000));
  const res = await fetch(`${base}/consumers/${group}/instances/idle/records`);
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), {
    error_code: 40403,
    message: 'Consumer instance not found.',
  });
  const deadline = Date.now() + 10_000;
  let state = await groupState(group);
  while (state.members > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    state = await groupState(group);
  }
  assert.equal(state.members, 0, `group still has members: ${JSON.stringify(state)}`);
});

test('the per-replica instance metrics count live instances', async () => {
  const group = `int-${randomUUID().slice(0, 8)}`;
  assert.equal((await post(`/consumers/${group}`, { name: 'm1' })).status, 200);
  const text = await (await fetch(`http://127.0.0.1:${gw.managementPort}/metrics`)).text();
  const live = Number(/^kafka_gateway_consumer_instances(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1]);
  assert.ok(live >= 1, text.slice(0, 200));
  assert.equal(
    (await fetch(`${base}/consumers/${group}/instances/m1`, { method: 'DELETE' })).status,
    204,
  );
});
