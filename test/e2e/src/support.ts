import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
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
  /** Every replica's management URL (scaled mode runs several of each gateway). */
  producerMetricsUrls: (
    process.env['PRODUCER_METRICS_URLS'] ?? required('PRODUCER_METRICS_URL')
  ).split(','),
  consumerMetricsUrls: (
    process.env['CONSUMER_METRICS_URLS'] ?? required('CONSUMER_METRICS_URL')
  ).split(','),
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
  timestamp: string;
  headers: Record<string, unknown>;
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
            got.push({
              partition,
              offset: message.offset,
              key: message.key,
              value: message.value,
              timestamp: message.timestamp,
              headers: message.headers ?? {},
            });
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

/** GET with a JSON body (Confluent's committed-offsets query), which fetch() cannot send. */
export function getWithBody(path: string, body: unknown, contentType = V2): Promise<HttpResult> {
  return getWithRawBody(path, JSON.stringify(body), contentType);
}

/** GET with a body sent as given (possibly not JSON at all). */
export function getWithRawBody(
  path: string,
  payload: string,
  contentType = V2,
): Promise<HttpResult> {
  const url = new URL(stack.gatewayUrl + path);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            if (typeof v === 'string') headers.set(k, v);
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? null,
            headers,
            body: parsed,
            text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const uid = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Produces binary records (values as given strings) through the gateway. */
export async function produceValues(
  topic: string,
  values: string[],
  partition?: number,
): Promise<void> {
  const res = await http(
    'POST',
    partition === undefined ? `/topics/${topic}` : `/topics/${topic}/partitions/${partition}`,
    {
      headers: { 'content-type': BINARY },
      body: { records: values.map((v) => ({ value: Buffer.from(v).toString('base64') })) },
    },
  );
  if (res.status !== 200) throw new Error(`produce failed: ${res.status} ${res.text}`);
}

export interface ConsumerRecordView {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
}

/** A v2 consumer instance driven over HTTP. */
export class RestConsumer {
  constructor(
    readonly group: string,
    readonly name: string,
    readonly format = 'binary',
  ) {}

  static async create(group: string, body: Record<string, unknown> = {}): Promise<RestConsumer> {
    const res = await http('POST', `/consumers/${group}`, {
      headers: { 'content-type': V2 },
      body: { 'auto.offset.reset': 'earliest', ...body },
    });
    if (res.status !== 200) throw new Error(`create failed: ${res.status} ${res.text}`);
    const { instance_id } = res.body as { instance_id: string };
    return new RestConsumer(
      group,
      instance_id,
      typeof body['format'] === 'string' ? body['format'] : 'binary',
    );
  }

  get path(): string {
    return `/consumers/${this.group}/instances/${this.name}`;
  }

  async call(
    method: string,
    suffix: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult> {
    return http(method, this.path + suffix, {
      headers: { 'content-type': V2, ...headers },
      ...(body === undefined ? {} : { body }),
    });
  }

  async subscribe(topics: string[]): Promise<void> {
    const res = await this.call('POST', '/subscription', { topics });
    if (res.status !== 204) throw new Error(`subscribe failed: ${res.status} ${res.text}`);
  }

  async records(timeoutMs = 1000): Promise<ConsumerRecordView[]> {
    const res = await http('GET', `${this.path}/records?timeout=${timeoutMs}`, {
      headers: { accept: `application/vnd.kafka.${this.format}.v2+json` },
    });
    if (res.status !== 200) throw new Error(`records failed: ${res.status} ${res.text}`);
    return res.body as ConsumerRecordView[];
  }

  /** Polls until `count` records arrived or `deadlineMs` passed. */
  async recordsUntil(count: number, deadlineMs = 30_000): Promise<ConsumerRecordView[]> {
    const all: ConsumerRecordView[] = [];
    const end = Date.now() + deadlineMs;
    while (all.length < count && Date.now() < end) all.push(...(await this.records(1000)));
    return all;
  }

  async commit(body?: unknown): Promise<void> {
    const res = await this.call('POST', '/offsets', body);
    if (res.status !== 200) throw new Error(`commit failed: ${res.status} ${res.text}`);
  }

  async delete(): Promise<HttpResult> {
    return http('DELETE', this.path);
  }
}
