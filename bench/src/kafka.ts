import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';

/**
 * The direct-kafkajs side of every pair, configured like the producer gateway's own client
 * (idempotent, acks=all, one request in flight) so that a ratio compares transports, not
 * delivery guarantees.
 */
export class DirectKafka {
  readonly kafka: Kafka;
  private admin: Admin | undefined;
  private producer: Producer | undefined;

  constructor(
    brokers: string[],
    private readonly runId: string,
    /** prepended to every topic name (`allowed-` with --sasl-ssl, for the broker's ACLs) */
    private readonly topicPrefix = '',
  ) {
    this.kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  }

  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  async getProducer(): Promise<Producer> {
    if (this.producer === undefined) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  /**
   * A fresh topic per row. Topics are never deleted during a run: with kafkajs 2.2.4, deleting a
   * topic a producer has written to makes every later metadata refresh of that producer fail
   * ("This server does not host this topic-partition"), which would break the gateway's producer
   * and this one. Small segments and a size cap bound the disk a long run takes.
   */
  async createTopic(label: string, partitions: number): Promise<string> {
    const topic = `${this.topicPrefix}bench-${this.runId}-${label}-${randomUUID().slice(0, 6)}`;
    await this.admin!.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          configEntries: [
            { name: 'segment.bytes', value: String(16 * 1024 * 1024) },
            { name: 'retention.bytes', value: String(128 * 1024 * 1024) },
          ],
        },
      ],
      waitForLeaders: true,
    });
    this.created.push(topic);
    return topic;
  }

  /** The topics this run created (left in place; see createTopic). */
  readonly created: string[] = [];

  async clusterId(): Promise<string> {
    return (await this.admin!.describeCluster()).clusterId;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer?.disconnect(), this.admin?.disconnect()]);
  }
}
