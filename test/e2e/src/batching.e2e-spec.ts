import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY, consumeAll, createTopic, http, stack } from './support';

/** The batch-size histogram summed over every producer replica. */
async function batchHistogram(): Promise<{ count: number; sum: number }> {
  let count = 0;
  let sum = 0;
  for (const url of stack.producerMetricsUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    count += Number(
      /^kafka_gateway_produce_batch_records_count(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0,
    );
    sum += Number(
      /^kafka_gateway_produce_batch_records_sum(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0,
    );
  }
  return { count, sum };
}

test('200 concurrent single-record requests are coalesced and each gets its own offset', async () => {
  const topic = await createTopic(3);
  const before = await batchHistogram();
  const n = 200;
  const responses = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      http('POST', `/topics/${topic}`, {
        headers: { 'content-type': BINARY },
        body: { records: [{ value: Buffer.from(`record-${i}`).toString('base64') }] },
      }),
    ),
  );
  const after = await batchHistogram();
  const sends = after.count - before.count;
  const records = after.sum - before.sum;
  assert.equal(records, n, 'every record went through the batcher once');
  assert.ok(sends < n, `expected coalescing: ${n} records in ${sends} sends`);

  const seen = new Map<string, string>();
  responses.forEach((r, i) => {
    assert.equal(r.status, 200, r.text);
    const o = (r.body as { offsets: { partition: number; offset: number; error_code: null }[] })
      .offsets[0]!;
    assert.equal(o.error_code, null);
    const where = `${o.partition}/${o.offset}`;
    assert.ok(!seen.has(where), `offset ${where} answered twice`);
    seen.set(where, `record-${i}`);
  });
  const consumed = await consumeAll(topic, n);
  assert.equal(consumed.length, n);
  for (const c of consumed) {
    assert.equal(
      c.value?.toString(),
      seen.get(`${c.partition}/${c.offset}`),
      `value at ${c.partition}/${c.offset}`,
    );
  }
});
