import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY, createTopic, http, kafka } from './support';

interface ProduceBody {
  offsets: { partition: number | null; offset: number | null; error_code: number | null }[];
}

const value = (s: string): string => Buffer.from(s).toString('base64');

async function produce(topic: string): Promise<{ status: number; body: ProduceBody }> {
  const res = await http('POST', `/topics/${topic}`, {
    headers: { 'content-type': BINARY },
    body: { records: [{ value: value('x') }] },
  });
  return { status: res.status, body: res.body as ProduceBody };
}

// kafkajs clients keep every topic they used in their metadata requests; a deleted one used to
// break every later produce and offsets lookup of the gateway until it was restarted.
test('deleting a topic the gateway produced to does not break produce to other topics', async () => {
  const doomed = await createTopic(1);
  const other = await createTopic(1);
  for (let i = 0; i < 4; i++) assert.equal((await produce(doomed)).status, 200); // every replica
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [doomed] });
  } finally {
    await admin.disconnect();
  }

  // At most a retriable failure per replica (after kafkajs' own retries, about 10 s) while it
  // replaces its producer, then success.
  const deadline = Date.now() + 60_000;
  let ok = 0;
  let failures = 0;
  while (ok < 6 && Date.now() < deadline) {
    const r = await produce(other);
    if (r.status === 200 && r.body.offsets.every((o) => o.error_code === null)) ok++;
    else {
      failures++;
      assert.ok(
        r.status >= 500 ||
          r.body.offsets.some((o) => o.error_code === 50003 || o.error_code === 50002),
        JSON.stringify(r.body),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  assert.equal(ok, 6, `produce to ${other} recovered (${failures} transient failures)`);
  assert.ok(failures <= 4, `at most one failure per replica and client (${failures})`);

  const offsets = await http('GET', `/topics/${other}/partitions/0/offsets`);
  assert.equal(offsets.status, 200, offsets.text);
  const gone = await produce(doomed);
  assert.equal(gone.status, 404, 'the deleted topic is reported missing');
});
