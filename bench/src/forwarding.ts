import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { HttpClient } from './http-client';
import { describeMachine } from './machine';
import { parseEnvFile } from './stack';
import { LatencyRecorder, type LatencySummary } from './stats';

/**
 * Forwarding overhead of scaled-out consumer-gateway replicas: one consumer instance lives on
 * replica 1; polls of it are sent alternately straight to replica 1 (the owner) and to replica
 * 2, which forwards them through Redis routing. Both sides poll the same instance in the same
 * loop, so they see the same broker, buffer and machine state; only the extra hop differs.
 *
 *   node bench/dist/forwarding.js --stack-env .run/stack/stack.env [--polls 2000]
 *
 * Needs a stack with at least two consumer-gateway replicas (`npm run start:scaled`).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
  const env = parseEnvFile(readFileSync(arg('--stack-env', '.run/stack/stack.env'), 'utf8'));
  const replicas = (env.get('CONSUMER_URLS') ?? '').split(',').filter((u) => u !== '');
  if (replicas.length < 2) {
    throw new Error('needs two consumer-gateway replicas: start the stack with --replicas 2');
  }
  const polls = Number(arg('--polls', '2000'));
  const warmup = Math.floor(polls / 10);
  const brokers = (env.get('KAFKA_BROKERS') ?? '127.0.0.1:9092').split(',');

  // A topic with far more records than the polls take, so every poll answers at once.
  const topic = `bench-fwd-${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ clientId: 'bench-forwarding', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(100, 'x');
  const perRecord = 10; // records per poll, bounded by max_bytes below
  const total = (polls * 2 + warmup * 2) * perRecord + 1000;
  for (let sent = 0; sent < total; sent += 5000) {
    const n = Math.min(5000, total - sent);
    await producer.send({ topic, messages: Array.from({ length: n }, () => ({ value })) });
  }
  await producer.disconnect();

  const owner = new HttpClient(replicas[0]!, 1);
  const other = new HttpClient(replicas[1]!, 1);
  const group = `bench-fwd-${randomUUID().slice(0, 8)}`;
  const v2 = { 'content-type': 'application/vnd.kafka.v2+json' };
  await owner.expect(
    200,
    'POST',
    `/consumers/${group}`,
    v2,
    JSON.stringify({ name: 'fwd', 'auto.offset.reset': 'earliest' }),
  );
  const path = `/consumers/${group}/instances/fwd`;
  await owner.expect(204, 'POST', `${path}/subscription`, v2, JSON.stringify({ topics: [topic] }));
  // fill the instance's buffer before measuring
  const accept = { accept: 'application/vnd.kafka.binary.v2+json' };
  const maxBytes = perRecord * value.length;
  for (let i = 0; i < 50; i++) {
    const text = await owner.expect(
      200,
      'GET',
      `${path}/records?timeout=1000&max_bytes=${maxBytes}`,
      accept,
    );
    if (text.length > 2) break;
  }

  const sides = { owner: new LatencyRecorder(), forwarded: new LatencyRecorder() };
  let empty = 0;
  for (let i = 0; i < polls + warmup; i++) {
    for (const [name, client] of [
      ['owner', owner],
      ['forwarded', other],
    ] as const) {
      const started = performance.now();
      const text = await client.expect(
        200,
        'GET',
        `${path}/records?timeout=1000&max_bytes=${maxBytes}`,
        accept,
      );
      const ms = performance.now() - started;
      if (text.length <= 2) empty++;
      if (i >= warmup) sides[name].add(ms);
    }
  }
  await owner.expect(204, 'DELETE', path, v2);

  const o = sides.owner.summary()!;
  const f = sides.forwarded.summary()!;
  const fmt = (x: number): string => x.toFixed(3);
  const row = (name: string, s: LatencySummary): string =>
    `| ${name} | ${s.count} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.p999)} | ${fmt(s.mean)} |`;
  const machine = describeMachine();
  const lines = [
    `# Consumer-instance forwarding overhead (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Machine: ${JSON.stringify(machine)}`,
    '',
    `${polls} measured polls per side (after ${warmup} warm-up polls each), alternating, one instance on replica 1, ${perRecord} records of ${value.length} B per poll; empty polls: ${empty}.`,
    '',
    '| poll lands on | polls | p50 ms | p99 ms | p99.9 ms | mean ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('owner (replica 1)', o),
    row('replica 2, forwarded to the owner', f),
    '',
    `Forwarding adds ${fmt(f.p50 - o.p50)} ms at p50 and ${fmt(f.p99 - o.p99)} ms at p99.`,
  ];
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().slice(0, 10)}-forwarding.md`);
  writeFileSync(file, `${text}\n`);
  process.stdout.write(`[bench] wrote ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `forwarding bench failed: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
