import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { QuotaConfig } from '../config/edge.config';
import { MetricsService } from '../metrics/metrics.service';
import { QuotaService } from './quota.service';

function service(config: Partial<QuotaConfig['defaults']> & { global?: number } = {}) {
  let now = 0;
  const metrics = new MetricsService('test');
  const quotas = new QuotaService(
    {
      defaults: {
        produceRequests: config.produceRequests,
        produceBytes: config.produceBytes,
        fetchBytes: config.fetchBytes,
      },
      globalRequests:
        config.global === undefined
          ? undefined
          : { perSecond: config.global, burst: config.global },
      file: undefined,
    },
    metrics,
    pino({ level: 'silent' }),
    () => now,
  );
  return {
    quotas,
    metrics,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('produce requests are limited per principal; another principal is unaffected', () => {
  const { quotas, advance } = service({ produceRequests: { perSecond: 2, burst: 2 } });
  assert.equal(quotas.admitProduce('alice', 10), undefined);
  assert.equal(quotas.admitProduce('alice', 10), undefined);
  assert.deepEqual(quotas.admitProduce('alice', 10), { quota: 'produce_requests', waitMs: 500 });
  assert.equal(quotas.admitProduce('bob', 10), undefined, 'bob has buckets of his own');
  advance(500);
  assert.equal(quotas.admitProduce('alice', 10), undefined);
});

test('a refusal for bytes costs no request token, and a refusal for requests no bytes', () => {
  const { quotas } = service({
    produceRequests: { perSecond: 2, burst: 2 },
    produceBytes: { perSecond: 100, burst: 100 },
  });
  assert.equal(quotas.admitProduce('alice', 100), undefined);
  assert.deepEqual(quotas.admitProduce('alice', 100), { quota: 'produce_bytes', waitMs: 1000 });
  assert.deepEqual(quotas.admitProduce('alice', 100), { quota: 'produce_bytes', waitMs: 1000 });
  assert.equal(
    quotas.admitProduce('alice', 0),
    undefined,
    'the second request token is still there',
  );
  assert.equal(quotas.admitProduce('alice', 0)?.quota, 'produce_requests');
});

test('bytes read after admission (stream, undeclared body) go through admitProduceBytes', () => {
  const { quotas, advance } = service({ produceBytes: { perSecond: 1000, burst: 1000 } });
  assert.equal(quotas.admitProduce('alice', undefined), undefined, 'unknown size: admitted');
  assert.equal(quotas.admitProduceBytes('alice', 600), 0);
  assert.equal(quotas.admitProduceBytes('alice', 600), 200, '400 left, 600 asked: 200 ms');
  advance(200);
  assert.equal(quotas.admitProduceBytes('alice', 600), 0);
  assert.equal(quotas.limitsProduceBytes('alice'), true);
});

test('fetch: bytes returned are charged; the next fetch waits while in debt', () => {
  const { quotas, advance } = service({ fetchBytes: { perSecond: 1000, burst: 1000 } });
  assert.equal(quotas.fetchWait('alice'), 0);
  quotas.chargeFetch('alice', 3000);
  assert.equal(quotas.fetchWait('alice'), 2000);
  assert.equal(quotas.fetchWait('bob'), 0);
  advance(2000);
  assert.equal(quotas.fetchWait('alice'), 0);
});

test('the global limit counts every request of the replica', () => {
  const { quotas, advance } = service({ global: 3 });
  assert.equal(quotas.hasGlobalLimit, true);
  assert.equal(quotas.hasPrincipalQuotas, false);
  for (let i = 0; i < 3; i++) assert.equal(quotas.admitGlobal(), 0);
  assert.ok(quotas.admitGlobal() > 0);
  advance(1000);
  assert.equal(quotas.admitGlobal(), 0);
});

test('overrides from the quota file apply per principal and keep a principal in debt', () => {
  const { quotas } = service({ produceBytes: { perSecond: 100, burst: 100 } });
  assert.equal(quotas.admitProduce('alice', 300), undefined);
  assert.ok(quotas.admitProduce('alice', 1) !== undefined, 'alice is in debt');
  quotas.setOverrides(
    new Map([
      ['alice', { produceBytes: { perSecond: 1000, burst: 1000 } }],
      ['loader', { produceBytes: null }],
    ]),
  );
  assert.deepEqual(
    quotas.admitProduce('alice', 1),
    { quota: 'produce_bytes', waitMs: 201 },
    '200 bytes of debt plus the 1 asked, at the new 1000/s',
  );
  assert.equal(quotas.limitsProduceBytes('loader'), false, '0 in the file: no quota for loader');
  for (let i = 0; i < 5; i++) assert.equal(quotas.admitProduce('loader', 10_000), undefined);
  assert.equal(quotas.limitsProduceBytes('carol'), true, 'the default still applies to others');
});

test('buckets of idle principals are evicted once full; a principal in debt is kept', () => {
  const { quotas, advance } = service({ produceBytes: { perSecond: 100, burst: 100 } });
  for (let i = 0; i < 1000; i++) quotas.admitProduce(`p${i}`, 50);
  quotas.admitProduce('heavy', 1000);
  assert.equal(quotas.trackedPrincipals, 1001);
  advance(600);
  quotas.sweep();
  assert.equal(quotas.trackedPrincipals, 1, 'the full buckets are gone, the indebted one stays');
  assert.ok(quotas.admitProduce('heavy', 1) !== undefined, 'its debt was not forgiven');
  advance(10_000);
  quotas.sweep();
  assert.equal(quotas.trackedPrincipals, 0);
});

test('refusals are counted by quota name', async () => {
  const { quotas, metrics } = service({ global: 1 });
  quotas.countRefusal('produce_bytes');
  quotas.countRefusal('produce_bytes');
  quotas.countRefusal('global_requests');
  const text = await metrics.registry.metrics();
  assert.match(
    text,
    /kafka_gateway_quota_refusals_total\{quota="produce_bytes",service="test"\} 2/,
  );
  assert.match(
    text,
    /kafka_gateway_quota_refusals_total\{quota="global_requests",service="test"\} 1/,
  );
});
