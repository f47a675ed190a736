import type { HttpSchemaRegistry, SchemaSerde } from '@kafka-gateway/codec';
import type { DirectKafka } from './kafka';
import type { LoadResult } from './load';
import type { BenchOptions } from './options';
import type { ProcessFigures } from './proc';
import type { StackInfo } from './stack';

/** What every stack workload gets: the stack, the direct client, the real registry. */
export interface BenchContext {
  readonly options: BenchOptions;
  readonly stack: StackInfo;
  readonly direct: DirectKafka;
  readonly registry: HttpSchemaRegistry;
  readonly serde: SchemaSerde;
  /** base URL the HTTP rows use for produce (the edge or the producer gateway itself) */
  readonly producerBase: string;
  /** base URL the HTTP rows use for consumer instances */
  readonly consumerBase: string;
  /**
   * `--sasl-ssl`: the bench's extra producer gateway on the SASL_SSL listener (its component
   * name in `stack.pids`), or why it could not start (its rows then say failed)
   */
  readonly saslGateway?: { readonly url: string; readonly component: string } | { error: string };
  /**
   * `--auth`: the bench's extra producer gateway that requires authentication (basic,jwt) and
   * the Authorization header of each method, or why it could not start
   */
  readonly authGateway?:
    | {
        readonly url: string;
        readonly component: string;
        readonly authorization: { readonly basic: string; readonly jwt: string };
      }
    | { error: string };
  log(message: string): void;
}

/** `java`: Kafka's own Java client (kafka-tools ProducerPerformance / ConsumerPerformance) */
export type RowSide = 'gateway' | 'direct' | 'java';

/**
 * One measured line of the table; a gateway row and its direct twin share `pair` (so does the
 * Java row of a consume pair; the Java produce rows are `produce java <size>`, see report.ts).
 */
export interface RowResult {
  readonly pair: string;
  readonly section: 'produce' | 'consume' | 'v3';
  readonly side: RowSide;
  /** how this side did the work, e.g. "HTTP v2 binary" or "kafkajs send" */
  readonly method: string;
  readonly params: Readonly<Record<string, string | number>>;
  readonly recordBytes: number;
  readonly load: LoadResult | undefined;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  /** the gateway process serving this row (its CPU and RSS are the row's figures) */
  readonly servedBy: string | undefined;
  readonly processes: Readonly<Record<string, ProcessFigures>>;
  /**
   * CPU seconds of the measuring process during the window: the bench process itself (load
   * generator or kafkajs client), or the JVM of a Java row
   */
  readonly clientCpuSeconds: number;
  /** side-specific figures kept in the JSON (e.g. the Java tool's runs) */
  readonly detail?: Readonly<Record<string, unknown>>;
  /**
   * `--sasl-ssl` twin rows: the plaintext gateway row's pair this row is the SASL_SSL twin of
   * (same case, served by the extra SASL_SSL producer gateway)
   */
  readonly saslSslTwinOf?: string;
  /** set when the row could not run, e.g. the v3 endpoint answers 404 */
  readonly notAvailable?: string;
}

export function rates(
  load: LoadResult,
  recordBytes: number,
): { recordsPerSec: number; mbPerSec: number } {
  const seconds = load.elapsedMs / 1000;
  if (seconds <= 0) return { recordsPerSec: 0, mbPerSec: 0 };
  const recordsPerSec = load.records / seconds;
  return { recordsPerSec, mbPerSec: (recordsPerSec * recordBytes) / 1e6 };
}
