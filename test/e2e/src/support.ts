import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Whole-stack test support: the stack's resolved addresses come from the environment that
 * `infra/stack env` prints (scripts/test.sh sources it before running these tests).
 */
function required(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '')
    throw new Error(
      `${name} is not set: run these tests through \`npm test\` (or source "$(infra/stack env)")`,
    );
  return v;
}

export const stack = {
  gatewayUrl: required('GATEWAY_URL'),
  brokers: required('KAFKA_BROKERS').split(','),
  producerMetricsUrl: required('PRODUCER_METRICS_URL'),
  consumerMetricsUrl: required('CONSUMER_METRICS_URL'),
};

export const V2 = 'application/vnd.kafka.v2+json';
export const BINARY = 'application/vnd.kafka.binary.v2+json';
export const JSON_V2 = 'application/vnd.kafka.json.v2+json';

export const kafka = new Kafka({
  clientId: 'e2e',
  brokers: stack.brokers,
  logLevel: logLevel.NOTHING,
});

/** A fresh topic per test so tests never see each other's records. */
export async function createTopic(partitions = 1): Promise<string> {
  const topic = `e2e-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

export interface HttpResult {
  status: number;
  contentType: string | null;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function http(
  method: string,
  path: string,
  init: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const res = await fetch(stack.gatewayUrl + path, {
    method,
    headers: init.headers,
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    headers: res.headers,
    body,
    text,
  };
}

export interface ConsumedRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** Reads `count` records of a topic from the beginning with a plain kafkajs consumer. */
export async function consumeAll(
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ConsumedRecord[]> {
  const consumer = kafka.consumer({ groupId: `e2e-${randomUUID()}` });
  await consumer.connect();
  const got: ConsumedRecord[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${got.length}/${count} records within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, offset: message.offset, key: message.key, value: message.value });
            if (got.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}
