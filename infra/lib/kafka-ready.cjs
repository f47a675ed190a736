// Exits 0 when the broker answers metadata (describeCluster + listTopics) and, given a broker
// count, describeCluster lists at least that many brokers; 1 otherwise.
// usage: node kafka-ready.cjs <host:port> <repo root> [brokers]
'use strict';
const [broker, repo, brokers] = process.argv.slice(2);
const expected = Number(brokers ?? 1);
let kafkajs;
try {
  kafkajs = require(require.resolve('kafkajs', { paths: [repo] }));
} catch {
  process.exit(2); // kafkajs not installed yet: the caller falls back to the broker's log line
}
const { Kafka, logLevel } = kafkajs;
const admin = new Kafka({
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
}).admin();
const timer = setTimeout(() => process.exit(1), 5000);
admin
  .connect()
  .then(() => admin.describeCluster())
  .then((cluster) => {
    if (cluster.brokers.length < expected) throw new Error(`${cluster.brokers.length} brokers`);
    return admin.listTopics();
  })
  .then(() => admin.disconnect())
  .then(() => {
    clearTimeout(timer);
    process.exit(0);
  })
  .catch(() => process.exit(1));
