import type { Logger } from 'pino';

interface Client<B, R> {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendBatch(batch: B): Promise<R>;
}

/**
 * Sends batches on an idempotent producer and replaces the producer after any failed send,
 * before the next batch goes out.
 *
 * Why: kafkajs advances a partition's sequence number only when a produce succeeds. When a send
 * fails although the broker wrote it (a leader killed after replicating, before answering), the
 * next batch, with other records, goes out under the same producer id and the same sequence
 * numbers; the new leader takes it for a retry of the written batch and answers its offsets
 * without writing it. Those records are acknowledged and lost (reproduced by the leader failover
 * of test/faults; kafkajs then also logs "out of order sequence number"). A fresh producer gets a
 * new producer id (InitProducerId), so its sequences start over and no batch can be mistaken
 * for another. The failed batch itself was answered as an error; its records may be in Kafka
 * (at-least-once for a request that failed), never acknowledged and missing.
 *
 * The caller sends one batch at a time (ProduceBatcher), so no send overlaps a replacement.
 */
export class FencedSender<B, R, C extends Client<B, R>> {
  private suspect = false;

  constructor(
    private current: C,
    private readonly create: () => C,
    /** Installs the fresh client (connection state, listeners) and answers the old one. */
    private readonly onSwap: (fresh: C) => void,
    private readonly logger: Logger,
  ) {}

  get client(): C {
    return this.current;
  }

  /** Swaps in an already connected client (another renewal, e.g. after a deleted topic). */
  adopt(fresh: C): void {
    this.current = fresh;
    this.suspect = false;
  }

  async send(batch: B): Promise<R> {
    if (this.suspect) await this.replace();
    try {
      return await this.current.sendBatch(batch);
    } catch (err) {
      this.suspect = true;
      throw err;
    }
  }

  /** Connects a fresh producer and retires the old one; throws (and stays suspect) if Kafka is down. */
  private async replace(): Promise<void> {
    const fresh = this.create();
    await fresh.connect().catch(async (err: unknown) => {
      await fresh.disconnect().catch(() => undefined);
      throw err;
    });
    const old = this.current;
    this.current = fresh;
    this.suspect = false;
    this.onSwap(fresh);
    this.logger.warn('replaced the Kafka producer after a failed send (fresh producer id)');
    await old.disconnect().catch(() => undefined);
  }
}
