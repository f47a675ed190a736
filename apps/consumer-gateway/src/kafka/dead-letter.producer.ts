import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  type CallerClientCache,
  KafkaClientFactory,
  type KafkaCaller,
  toCallerError,
  toGatewayError,
} from '@kafka-gateway/server-kit';
import type { IHeaders, Producer } from 'kafkajs';
import type { DeadLetterPort, DeadLetterRecord } from './consumer-port';

/**
 * The producer of the poison-record policy `dead-letter`. Made on first use (most gateways never
 * dead-letter anything), from the one client factory; under principal propagation the record is
 * written as the instance's owner, from a bounded per-caller cache like every caller client.
 * Each send waits for acks=all.
 */
@Injectable()
export class DeadLetterProducer implements DeadLetterPort, OnApplicationShutdown {
  private shared: Promise<Producer> | undefined;
  private callers: CallerClientCache<Producer> | undefined;

  constructor(private readonly factory: KafkaClientFactory) {}

  async send(topic: string, record: DeadLetterRecord, as?: KafkaCaller): Promise<void> {
    const message = {
      key: record.key,
      value: record.value,
      headers: groupHeaders(record.headers),
    };
    if (as === undefined) {
      const pending = this.sharedProducer();
      try {
        await (await pending).send({ topic, messages: [message], acks: -1 });
      } catch (err) {
        // kafkajs rolls its sequence numbers back after a failed send even when the broker
        // wrote the batch; the next send would then be taken for a retry and acknowledged
        // without being written (see fenced-sender.ts). A fresh producer id avoids that.
        if (this.shared === pending) {
          this.shared = undefined;
          void pending.then((p) => p.disconnect()).catch(() => undefined);
        }
        throw toGatewayError(err);
      }
      return;
    }
    this.callers ??= this.factory.callerClients('producer', (credential) =>
      this.factory.producer(credential),
    );
    try {
      await this.callers.use(as.principal, as.credential, (producer) =>
        producer.send({ topic, messages: [message], acks: -1 }),
      );
    } catch (err) {
      throw toCallerError(err);
    }
  }

  private sharedProducer(): Promise<Producer> {
    this.shared ??= (async () => {
      const producer = this.factory.producer();
      try {
        await producer.connect();
        return producer;
      } catch (err) {
        this.shared = undefined; // the next dead letter connects afresh
        throw err;
      }
    })();
    return this.shared;
  }

  async onApplicationShutdown(): Promise<void> {
    const shared = this.shared;
    this.shared = undefined;
    if (shared !== undefined) await (await shared.catch(() => undefined))?.disconnect();
  }
}

/**
 * kafkajs takes headers as an object: a repeated key becomes an array (written in order). Its
 * producer cannot send a header without a value (it measures every value as a string or
 * Buffer), so a null value is copied as an empty one.
 */
function groupHeaders(headers: DeadLetterRecord['headers']): IHeaders {
  const grouped: Record<string, Buffer[]> = {};
  for (const h of headers) (grouped[h.key] ??= []).push(h.value ?? EMPTY);
  return grouped;
}

const EMPTY = Buffer.alloc(0);
