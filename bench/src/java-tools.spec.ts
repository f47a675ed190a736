import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  cpuAt,
  cpuBetween,
  failureReason,
  type JavaRun,
  kafkaToolsVersion,
  nextRecordCount,
  parseConsumerPerformance,
  parseProducerPerformance,
  pomKafkaVersion,
} from './java-tools';

/** Output of kafka-tools 4.1.1 as captured from real runs (SLF4J notices go to stderr). */
const PRODUCER_OUTPUT = [
  '29385 records sent, 5871.1 records/sec (5.73 MB/sec), 7967.0 ms avg latency, 9331.0 ms max latency.',
  '50000 records sent, 2377.2 records/sec (2.32 MB/sec), 6858.45 ms avg latency, 9331.00 ms max latency, 6908 ms 50th, 9088 ms 95th, 9184 ms 99th, 9299 ms 99.9th.',
  '',
].join('\n');

const CONSUMER_OUTPUT = [
  'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
  '2026-12-02T02:51:04.863Z, 2026-12-02T02:51:08.114Z, 19.6191, 6.0348, 20090, 6179.6370, 1894, 1357, 14.4577, 14804.7163',
  '',
].join('\n');

test('ProducerPerformance: the summary line, not the 5-second interval lines', () => {
  const s = parseProducerPerformance(PRODUCER_OUTPUT)!;
  assert.equal(s.records, 50_000);
  assert.equal(s.recordsPerSec, 2377.2);
  assert.equal(s.mibPerSec, 2.32);
  assert.equal(s.avgMs, 6858.45);
  assert.equal(s.maxMs, 9331);
  assert.deepEqual([s.p50, s.p95, s.p99, s.p999], [6908, 9088, 9184, 9299]);
  assert.ok(Math.abs(s.elapsedMs - (50_000 / 2377.2) * 1000) < 1e-6);
  // only interval lines (the run was cut short), or nothing: no summary
  assert.equal(parseProducerPerformance(PRODUCER_OUTPUT.split('\n')[0]!), undefined);
  assert.equal(parseProducerPerformance(''), undefined);
  // no record acknowledged: Java prints NaN, which is no summary either
  assert.equal(
    parseProducerPerformance(
      '0 records sent, 0.0 records/sec (0.00 MB/sec), NaN ms avg latency, 0.00 ms max latency, 0 ms 50th, 0 ms 95th, 0 ms 99th, 0 ms 99.9th.',
    ),
    undefined,
  );
});

test('ConsumerPerformance: the CSV line with ISO times; the fetch window excludes the join', () => {
  const s = parseConsumerPerformance(CONSUMER_OUTPUT)!;
  assert.equal(s.startMs, Date.parse('2026-12-02T02:51:04.863Z'));
  assert.equal(s.endMs - s.startMs, 3251);
  assert.equal(s.records, 20_090);
  assert.equal(s.mib, 19.6191);
  assert.equal(s.rebalanceMs, 1894);
  assert.equal(s.fetchMs, 1357);
  assert.equal(s.fetchRecordsPerSec, 14804.7163);
  assert.equal(s.fetchMibPerSec, 14.4577);
  assert.equal(s.timedOut, false);
  // an offset other than Z
  const shifted = parseConsumerPerformance(
    CONSUMER_OUTPUT.replace('02:51:04.863Z', '03:51:04.863+01:00'),
  )!;
  assert.equal(shifted.startMs, s.startMs);
  const short = parseConsumerPerformance(
    'WARNING: Exiting before consuming the expected number of messages: timeout (10000 ms) exceeded. You can use the --timeout option to increase the timeout.\n' +
      CONSUMER_OUTPUT,
  )!;
  assert.equal(short.timedOut, true);
  assert.equal(parseConsumerPerformance(CONSUMER_OUTPUT.split('\n')[0]!), undefined);
});

test('CPU of a window is interpolated between /proc samples', () => {
  const samples = [
    { t: 1000, cpuSeconds: 1 },
    { t: 2000, cpuSeconds: 2 },
    { t: 3000, cpuSeconds: 4 },
  ];
  assert.equal(cpuAt(samples, 500), 1);
  assert.equal(cpuAt(samples, 1500), 1.5);
  assert.equal(cpuAt(samples, 2500), 3);
  assert.equal(cpuAt(samples, 9999), 4);
  assert.equal(cpuAt([], 1), undefined);
  assert.equal(cpuBetween(samples, 1500, 2500), 1.5);
  assert.equal(cpuBetween([], 0, 1), 0);
});

test('ProducerPerformance runs grow until one lasts the window', () => {
  // 10,000 records in 0.5 s (20,000/s): 3 s wanted, with a 30% margin
  assert.equal(nextRecordCount({ records: 10_000, elapsedMs: 500 }, 3000, 2000), 78_000);
  // a slow first run still at least doubles
  assert.equal(nextRecordCount({ records: 10_000, elapsedMs: 1900 }, 3000, 2000), 20_527);
  assert.equal(nextRecordCount({ records: 1000, elapsedMs: 0 }, 3000, 2000), 2000);
  assert.equal(nextRecordCount({ records: 10, elapsedMs: 1 }, 3e6, 2000, 5000), 5000);
  // long enough: no further run
  assert.equal(nextRecordCount({ records: 10_000, elapsedMs: 2000 }, 3000, 2000), undefined);
});

test('kafka-tools version from the jar names; the bench pom follows the broker pom', () => {
  assert.equal(
    kafkaToolsVersion([
      'kafka-clients-4.1.1.jar',
      'kafka-tools-4.1.1.jar',
      'kafka-tools-api-4.1.1.jar',
    ]),
    '4.1.1',
  );
  assert.equal(kafkaToolsVersion(['kafka-tools-api-4.1.1.jar']), undefined);
  assert.equal(kafkaToolsVersion(['kafka-tools-4.1.0.jar', 'kafka-tools-4.1.1.jar']), undefined);
  // dist/ is one level below bench/
  const bench = resolve(__dirname, '..');
  const broker = pomKafkaVersion(readFileSync(resolve(bench, '..', 'infra', 'pom.xml'), 'utf8'));
  const tools = pomKafkaVersion(readFileSync(resolve(bench, 'java', 'pom.xml'), 'utf8'));
  assert.ok(broker !== undefined);
  assert.equal(tools, broker, 'bench/java/pom.xml kafka.version must be the broker version');
});

test('a failed run names the first line that is not an SLF4J notice', () => {
  const run: JavaRun = {
    command: 'java …',
    exitCode: 1,
    signal: null,
    stdout: '',
    stderr:
      'SLF4J: No SLF4J providers were found.\nException in thread "main" org.apache.kafka.common.KafkaException: boom\n',
    samples: [],
    lineTimes: [],
    timedOut: false,
    spawnError: undefined,
  };
  assert.match(failureReason(run), /^exit 1: Exception in thread "main".*boom$/);
  assert.match(failureReason({ ...run, spawnError: 'spawn java ENOENT' }), /could not start/);
  assert.equal(failureReason({ ...run, timedOut: true }), 'killed after its time limit');
});
