import { Inject, Injectable } from '@nestjs/common';
import { negotiateRecordsType } from '@kafka-gateway/codec';
import {
  Authorizer,
  type Caller,
  Errors,
  GatewayError,
  group as groupResource,
  recordMetadataHeader,
  topic as topicResource,
  TraceService,
} from '@kafka-gateway/server-kit';
import { CONSUMER_CONFIG, type ConsumerGatewayConfig } from '../config/consumer.config';
import type { TopicPartition } from '../kafka/consumer-port';
import { KafkaAdminService } from '../kafka/kafka-admin.service';
import type { ConsumerInstance, RecordView } from './consumer-instance';
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

/**
 * The v2 consumer API over the instances of this replica. Authorization: creating needs
 * `consume` on the group (the route guard); every instance request is answered 404/40403 unless
 * the caller created the instance, then needs `consume` on the group and on every topic its
 * body names, all checked before anything changes.
 */
@Injectable()
export class ConsumersService {
  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerGatewayConfig,
    private readonly registry: ConsumerRegistryService,
    private readonly kafka: KafkaAdminService,
    private readonly metrics: ConsumerMetrics,
    private readonly tracing: TraceService,
    private readonly authz: Authorizer,
  ) {}

  /**
   * The caller's own instance, touched: another principal's instance answers exactly like a
   * missing one (404/40403), with an audit line; then `consume` on the group is required.
   */
  private owned(caller: Caller, group: string, name: string): ConsumerInstance {
    const instance = this.registry.find(group, name);
    if (instance === undefined) throw Errors.instanceNotFound();
    if (instance.owner.name !== caller.principal.name) {
      this.authz.deny(caller, 'consume', `instance:${group}/${name}`, 'not the instance owner');
      throw Errors.instanceNotFound();
    }
    this.authz.require(caller, 'consume', groupResource(group));
    instance.touch();
    return instance;
  }

  /** `consume` on every distinct topic named (nothing is done unless all are allowed). */
  private requireTopics(caller: Caller, topics: Iterable<string>): void {
    if (!this.authz.enabled) return;
    for (const t of new Set(topics)) this.authz.require(caller, 'consume', topicResource(t));
  }

  /**
   * `requestBase` (scheme://host of the request) is used when no public URL is configured;
   * the caller's principal is the creator (its Kafka identity under principal propagation).
   */
  async create(
    group: string,
    body: unknown,
    requestBase: string,
    caller: Caller,
  ): Promise<{ instance_id: string; base_uri: string }> {
    const request = parseCreateConsumer(body);
    const instance = await this.registry.create(group, request, caller.principal);
    const base = this.config.consumers.publicBaseUrl ?? requestBase;
    return {
      instance_id: instance.name,
      base_uri: `${base}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(instance.name)}`,
    };
  }

  delete(group: string, name: string, caller: Caller): Promise<void> {
    this.owned(caller, group, name);
    return this.registry.delete(group, name);
  }

  /**
   * Named topics need `consume` each. A `topic_pattern` is accepted: it is matched only against
   * the topics the owner may consume, now and at every refresh (see the registry), so records of
   * other topics are never fetched.
   */
  async subscribe(group: string, name: string, body: unknown, caller: Caller): Promise<void> {
    const instance = this.owned(caller, group, name);
    const subscription = parseSubscription(body);
    if (subscription === undefined) return;
    if (subscription.kind === 'topics') this.requireTopics(caller, subscription.topics);
    const kafkaCaller = instance.settings.kafkaCaller;
    if (kafkaCaller !== undefined) {
      const topics = subscription.kind === 'topics' ? subscription.topics : [];
      await this.kafka.requireAccess(group, topics, kafkaCaller);
    }
    await instance.subscribe(subscription);
  }

  subscription(group: string, name: string, caller: Caller): { topics: string[] } {
    return { topics: this.owned(caller, group, name).subscribedTopics() };
  }

  unsubscribe(group: string, name: string, caller: Caller): Promise<void> {
    return this.owned(caller, group, name).unsubscribe();
  }

  async assign(group: string, name: string, body: unknown, caller: Caller): Promise<void> {
    const instance = this.owned(caller, group, name);
    const partitions = parsePartitions(body);
    this.requireTopics(
      caller,
      partitions.map((p) => p.topic),
    );
    const kafkaCaller = instance.settings.kafkaCaller;
    if (kafkaCaller !== undefined) {
      // the named group receives the commits of a manual assignment
      await this.kafka.requireAccess(
        group,
        partitions.map((p) => p.topic),
        kafkaCaller,
      );
    }
    await instance.subscribe({ kind: 'assign', partitions });
  }

  assignments(group: string, name: string, caller: Caller): { partitions: TopicPartition[] } {
    return { partitions: this.owned(caller, group, name).currentAssignment() };
  }

  async seek(group: string, name: string, body: unknown, caller: Caller): Promise<void> {
    const instance = this.owned(caller, group, name);
    const request = parseSeek(body);
    this.requireTopics(caller, [
      ...request.offsets.map((o) => o.tp.topic),
      ...request.timestamps.map((t) => t.tp.topic),
    ]);
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
    caller: Caller,
  ): Promise<void> {
    const instance = this.owned(caller, group, name);
    const partitions = parsePartitions(body);
    this.requireTopics(
      caller,
      partitions.map((p) => p.topic),
    );
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
    caller: Caller,
    /** The Kafka-Gateway-Record-Metadata request header (overrides `record.metadata`). */
    metadataHeader?: string | string[],
  ): Promise<{ mediaType: string; records: RecordView[] }> {
    const instance = this.owned(caller, group, name);
    const metadata = recordMetadataHeader(metadataHeader);
    // a grant revoked since the subscription stops the reads at once (not only at the refresh)
    this.requireTopics(
      caller,
      instance.currentAssignment().map((p) => p.topic),
    );
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
        metadata,
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

  /**
   * The caller's instance for a records stream (SSE), after the checks of a records fetch;
   * `authorize` repeats the topic check before every fetch of the stream, as each records
   * request does. The stream's records are in the instance's own format.
   */
  streamSource(
    group: string,
    name: string,
    caller: Caller,
  ): { instance: ConsumerInstance; authorize: () => void } {
    const instance = this.owned(caller, group, name);
    const authorize = (): void =>
      this.requireTopics(
        caller,
        instance.currentAssignment().map((p) => p.topic),
      );
    authorize();
    return { instance, authorize };
  }

  async commit(group: string, name: string, body: unknown, caller: Caller): Promise<[]> {
    const instance = this.owned(caller, group, name);
    const offsets = parseCommit(body);
    this.requireTopics(
      caller,
      (offsets ?? []).map((o) => o.topic),
    );
    try {
      await instance.commit(offsets);
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
    caller: Caller,
  ): Promise<{
    offsets: { topic: string; partition: number; offset: number; metadata: string }[];
  }> {
    const instance = this.owned(caller, group, name);
    const partitions = parseCommittedQuery(body);
    this.requireTopics(
      caller,
      partitions.map((p) => p.topic),
    );
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
