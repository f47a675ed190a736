import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, stack } from './support';

for (const [name, url] of [
  ['producer-gateway', stack.producerMetricsUrl],
  ['consumer-gateway', stack.consumerMetricsUrl],
] as const) {
  test(`${name} management port serves metrics, liveness and readiness`, async () => {
    await http(
      'GET',
      name === 'producer-gateway' ? '/topics' : '/consumers/none/instances/none/records',
    );
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    assert.match(text, /# TYPE http_request_duration_seconds histogram/);
    assert.match(text, /http_request_duration_seconds_bucket\{/);
    assert.match(text, new RegExp(`service="${name}"`));
    assert.match(text, /process_resident_memory_bytes/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(
      ((await ready.json()) as { checks: Record<string, boolean> }).checks.kafka,
      true,
    );
  });
}
