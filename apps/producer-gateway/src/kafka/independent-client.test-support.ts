import { Kafka, logLevel } from 'kafkajs';

/**
 * For integration tests only: a plain kafkajs client, independent of the gateway's own client
 * factory, to set up topics and read back what the gateway wrote.
 */
export function independentKafka(brokers: string): Kafka {
  return new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}
