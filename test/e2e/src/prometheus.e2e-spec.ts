import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, produceValues, RestConsumer, uid } from './support';

/**
 * Counts produced and consumed through the gateway, read back through a real Prometheus
 * (`infra/stack up --prometheus`, PROMETHEUS_URL in stack.env) with PromQL: what an operator's
 * dashboard would show, across every replica.
 */
const prometheusUrl = process.env['PROMETHEUS_URL'];
const skip =
  prometheusUrl === undefined ? 'no PROMETHEUS_URL (infra/stack up --prometheus)' : false;

interface Target {
  scrapePool: string;
  health: string;
  lastScrape: string;
  lastError: string;
}

/** Waits until every gateway target has been scraped (successfully) after `since`. */
async function nextScrape(since = Date.now()): Promise<void> {
  const deadline = Date.now() + 20_000;
  let seen: Target[] = [];
  while (Date.now() < deadline) {
    const res = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
    seen = ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
    const gateways = seen.filter((t) => t.scrapePool.endsWith('-gateway'));
    if (
      gateways.length > 0 &&
      gateways.every((t) => t.health === 'up' && Date.parse(t.lastScrape) > since)
    )
      return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`no complete scrape within 20 s: ${JSON.stringify(seen)}`);
}

/** One instant PromQL query whose result is a single number (0 when the vector is empty). */
async function query(promql: string): Promise<number> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as {
    status: string;
    data: { resultType: string; result: { value: [number, string] }[] };
  };
  assert.equal(body.status, 'success', JSON.stringify(body));
  assert.ok(body.data.result.length <= 1, JSON.stringify(body.data.result));
  return body.data.result.length === 0 ? 0 : Number(body.data.result[0]!.value[1]);
}

test('Prometheus scrapes every gateway replica', { skip }, async () => {
  await nextScrape();
  const replicas = Number(process.env['GATEWAY_REPLICAS'] ?? '1');
  assert.equal(await query('count(up{job="producer-gateway"} == 1)'), replicas);
  assert.equal(await query('count(up{job="consumer-gateway"} == 1)'), replicas);
  assert.equal(await query('min(kafka_gateway_readiness{check="kafka"})'), 1);
  // infra/prometheus/alerts.yml is loaded and every rule evaluates
  const rules = (await (await fetch(`${prometheusUrl}/api/v1/rules?type=alert`)).json()) as {
    data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
  };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  assert.ok(loaded.length >= 6, JSON.stringify(loaded));
  for (const r of loaded) assert.notEqual(r.health, 'err', `${r.name}: ${r.lastError ?? ''}`);
  assert.ok(loaded.some((r) => r.name === 'KafkaGatewayRedisDown'));
});

test('records produced and consumed through the gateway add up in PromQL', { skip }, async () => {
  const topic = await createTopic(2);
  await nextScrape();
  const consumedBefore = await query('sum(kafka_gateway_consumer_records_total{format="binary"})');

  // several requests, so that round robin spreads them over the replicas
  const batches = [['a', 'b', 'c'], ['d', 'e'], ['f'], ['g', 'h', 'i', 'j']];
  for (const values of batches) await produceValues(topic, values);
  const consumer = await RestConsumer.create(uid('g'));
  try {
    await consumer.subscribe([topic]);
    assert.equal((await consumer.recordsUntil(10)).length, 10);
  } finally {
    await consumer.delete();
  }

  await nextScrape();
  assert.equal(
    await query(`sum(kafka_gateway_produce_records_total{topic="${topic}"})`),
    10,
    'produced records summed over the producer replicas',
  );
  assert.equal(
    await query(`sum(kafka_gateway_produce_records_total{topic="${topic}",format="binary"})`),
    10,
  );
  assert.ok(
    (await query(`sum(kafka_gateway_produce_bytes_total{topic="${topic}"})`)) >= 10,
    'one value byte per record at least',
  );
  assert.equal(
    (await query('sum(kafka_gateway_consumer_records_total{format="binary"})')) - consumedBefore,
    10,
    'consumed records summed over the consumer replicas (tests run one at a time)',
  );
  assert.equal(
    await query(`sum(kafka_gateway_consumer_records_total{topic="${topic}"})`),
    10,
    'consumed records of this topic',
  );
  assert.ok(
    (await query(
      'sum(kafka_gateway_kafka_request_duration_seconds_count{client="producer",api="Produce"})',
    )) > 0,
    'kafkajs instrumentation: Produce requests',
  );
  assert.ok(
    (await query('sum(kafka_gateway_kafka_group_join_duration_seconds_count{client="consumer"})')) >
      0,
    'kafkajs instrumentation: group joins',
  );
  assert.ok(
    (await query(
      'sum(http_request_duration_seconds_count{job="producer-gateway",route="/topics/:topic",method="POST",status="200"})',
    )) >= batches.length,
  );
});
