import { Inject, Injectable } from '@nestjs/common';
import { negotiateRecordsType } from '@kafka-gateway/codec';
import { Errors, GatewayError, type Principal, TraceService } from '@kafka-gateway/server-kit';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';
import type { TopicPartition } from '../kafka/consumer-port';
import { KafkaAdminService } from '../kafka/kafka-admin.service';
import type { RecordView } from './consumer-instance';
import { ConsumerMetrics } from './consumer-metrics';
import { ConsumerRegistryService } from './consumer-registry.service';
import {
  parseCommit,
  parseCommittedQuery,
  parseCreateConsumer,
  parsePartitions,
  parseSeek,
  parseSubscription,
} from './consumer-requests.parser';

/** The most a records fetch returns when the request names no `max_bytes` (and its cap). */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** The v2 consumer API over the instances of this replica. */
@Injectable()
export class ConsumersService {
  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    private readonly registry: ConsumerRegistryService,
    private readonly kafka: KafkaAdminService,
    private readonly metrics: ConsumerMetrics,
    private readonly tracing: TraceService,
  ) {}

  /**
   * `requestBase` (scheme://host of the request) is used when no public URL is configured;
   * `principal` is the creator (its Kafka identity under principal propagation).
   */
  async create(
    group: string,
    body: unknown,
    requestBase: string,
    principal: Principal,
  ): Promise<{ instance_id: string; base_uri: string }> {
    const request = parseCreateConsumer(body);
    const instance = await this.registry.create(group, request, principal);
    const base = this.config.consumers.publicBaseUrl ?? requestBase;
    return {
      instance_id: instance.name,
      base_uri: `${base}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(instance.name)}`,
    };
  }

  delete(group: string, name: string): Promise<void> {
    return this.registry.delete(group, name);
  }

  async subscribe(group: string, name: string, body: unknown): Promise<void> {
    const instance = this.registry.get(group, name);
    const subscription = parseSubscription(body);
    if (subscription === undefined) return;
    const caller = instance.settings.kafkaCaller;
    if (caller !== undefined) {
      const topics = subscription.kind === 'topics' ? subscription.topics : [];
      await this.kafka.requireAccess(group, topics, caller);
    }
    await instance.subscribe(subscription);
  }

  subscription(group: string, name: string): { topics: string[] } {
    return { topics: this.registry.get(group, name).subscribedTopics() };
  }

  unsubscribe(group: string, name: string): Promise<void> {
    return this.registry.get(group, name).unsubscribe();
  }

  async assign(group: string, name: string, body: unknown): Promise<void> {
    const instance = this.registry.get(group, name);
    const partitions = parsePartitions(body);
    const caller = instance.settings.kafkaCaller;
    if (caller !== undefined) {
      // the named group receives the commits of a manual assignment
      await this.kafka.requireAccess(
        group,
        partitions.map((p) => p.topic),
        caller,
      );
    }
    await instance.subscribe({ kind: 'assign', partitions });
  }

  assignments(group: string, name: string): { partitions: TopicPartition[] } {
    return { partitions: this.registry.get(group, name).currentAssignment() };
  }

  async seek(group: string, name: string, body: unknown): Promise<void> {
    const instance = this.registry.get(group, name);
    const request = parseSeek(body);
    const targets = request.offsets.map((o) => ({ tp: o.tp, offset: String(o.offset) }));
    for (const t of request.timestamps) {
      const offsets = await this.kafka.offsetsForTimestamp(
        t.tp.topic,
        t.timestampMs,
        instance.settings.kafkaCaller,
      );
      const found = offsets.find((o) => o.partition === t.tp.partition);
      if (found === undefined) throw Errors.partitionNotFound();
      targets.push({ tp: t.tp, offset: found.offset });
    }
    instance.seek(targets);
  }

  async seekToEdge(
    group: string,
    name: string,
    body: unknown,
    edge: 'beginning' | 'end',
  ): Promise<void> {
    const instance = this.registry.get(group, name);
    const partitions = parsePartitions(body);
    const targets: { tp: TopicPartition; offset: string }[] = [];
    for (const topic of new Set(partitions.map((p) => p.topic))) {
      const offsets = await this.kafka.topicOffsets(topic, instance.settings.kafkaCaller);
      for (const tp of partitions.filter((p) => p.topic === topic)) {
        const o = offsets.find((x) => x.partition === tp.partition);
        if (o === undefined) throw Errors.noAssignment(tp.topic, tp.partition);
        targets.push({ tp, offset: edge === 'beginning' ? o.low : o.high });
      }
    }
    instance.seek(targets);
  }

  async records(
    group: string,
    name: string,
    accept: string | undefined,
    timeout: string | undefined,
    maxBytes: string | undefined,
  ): Promise<{ mediaType: string; records: RecordView[] }> {
    const instance = this.registry.get(group, name);
    const negotiated = negotiateRecordsType(accept);
    if (negotiated.format !== instance.settings.format) {
      throw new GatewayError(
        'consumer_format_mismatch',
        'The requested embedded data format does not match the deserializer for this consumer instance',
      );
    }
    const timeoutMs = optionalInt(timeout, 'timeout');
    const maxBytesValue = optionalInt(maxBytes, 'max_bytes');
    const started = process.hrtime.bigint();
    const trace = this.tracing.startFetch(group);
    let records: RecordView[];
    try {
      records = await instance.poll(
        timeoutMs === undefined || timeoutMs <= 0 ? instance.settings.requestTimeoutMs : timeoutMs,
        maxBytesValue === undefined || maxBytesValue <= 0
          ? DEFAULT_MAX_BYTES
          : Math.min(maxBytesValue, DEFAULT_MAX_BYTES),
        trace,
      );
    } catch (err) {
      trace?.end(0, err);
      throw err;
    }
    trace?.end(records.length);
    const format = instance.settings.format;
    this.metrics.pollDuration.observe({ format }, Number(process.hrtime.bigint() - started) / 1e9);
    return { mediaType: negotiated.mediaType, records };
  }

  async commit(group: string, name: string, body: unknown): Promise<[]> {
    const instance = this.registry.get(group, name);
    try {
      await instance.commit(parseCommit(body));
    } catch (err) {
      this.metrics.commitErrors.inc();
      throw err;
    }
    return [];
  }

  async committed(
    group: string,
    name: string,
    body: unknown,
  ): Promise<{
    offsets: { topic: string; partition: number; offset: number; metadata: string }[];
  }> {
    const instance = this.registry.get(group, name);
    const partitions = parseCommittedQuery(body);
    const wanted = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
    const committed = await this.kafka.committedOffsets(
      group,
      partitions.map((p) => p.topic),
      instance.settings.kafkaCaller,
    );
    return {
      offsets: committed
        .filter((c) => wanted.has(`${c.topic}\u0000${c.partition}`))
        .map((c) => ({
          topic: c.topic,
          partition: c.partition,
          offset: Number(c.offset),
          metadata: c.metadata ?? '',
        })),
    };
  }
}

function optionalInt(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d{1,15}$/.test(raw))
    throw new GatewayError('invalid_request', `${name} must be an integer`);
  return Number(raw);
}
