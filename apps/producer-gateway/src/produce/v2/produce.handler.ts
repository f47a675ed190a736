import { Injectable } from '@nestjs/common';
import { type EmbeddedFormat, negotiateV2Json, produceFormat } from '@kafka-gateway/codec';
import {
  principalOf,
  RECORD_METADATA_HEADER,
  recordMetadataHeader,
} from '@kafka-gateway/server-kit';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request } from 'express';
import { partitionParam } from '../../common/path-params';
import { IdempotencyService } from '../../idempotency/idempotency.service';
import { keyedRequestOf } from '../../idempotency/keyed-request';
import { ProduceService, type ProduceResponse } from './produce.service';

/** The media types of a v2 produce: the embedded format (Content-Type) and the answer's type. */
export interface V2ProduceTypes {
  readonly format: EmbeddedFormat;
  /** The negotiated `application/vnd.kafka.v2+json` (or `application/json`) of the answer. */
  readonly responseType: string;
}

/**
 * Distinct (Content-Type, Accept) pairs remembered: a client sends the same two headers on every
 * request, so parsing them once per pair saves a request that work; past the bound the memory
 * starts over (header values are client input, so it must not grow without bound).
 */
export const NEGOTIATED_PAIRS_KEPT = 256;
const negotiated = new Map<string, V2ProduceTypes>();

/**
 * Content-Type first (415), then Accept (406), as Confluent orders them. Pure in its two
 * headers, so an accepted pair's answer is remembered; a refused one is parsed (and thrown) again.
 */
export function negotiateProduce(headers: IncomingHttpHeaders): V2ProduceTypes {
  const contentType = headers['content-type'];
  const accept = headers.accept;
  // a header value never holds '\n'; the 'u'/'v' marks keep a missing header apart from ''
  const key = `${contentType === undefined ? 'u' : `v${contentType}`}\n${accept === undefined ? 'u' : `v${accept}`}`;
  const known = negotiated.get(key);
  if (known !== undefined) return known;
  const format = produceFormat(contentType);
  const types: V2ProduceTypes = { format, responseType: negotiateV2Json(accept) };
  if (negotiated.size >= NEGOTIATED_PAIRS_KEPT) negotiated.clear();
  negotiated.set(key, types);
  return types;
}

/** Pairs remembered now (for tests). */
export function negotiatedPairs(): number {
  return negotiated.size;
}

/** What a v2 produce answers: the status and body, or the stored answer of an earlier try. */
export type V2ProduceAnswer =
  | { readonly replayed: false; readonly status: number; readonly body: ProduceResponse }
  /** `body`: the stored JSON text, sent as it is. */
  | { readonly replayed: true; readonly status: number; readonly body: string };

/**
 * A v2 produce once its guards passed (authorization, media types), for the controller and for
 * its hot route alike: without an Idempotency-Key straight to ProduceService (one header lookup);
 * with one, under IdempotencyService (at most once per key, replays the stored answer).
 */
@Injectable()
export class V2ProduceHandler {
  constructor(
    private readonly produce: ProduceService,
    private readonly idempotency: IdempotencyService,
  ) {}

  async answer(
    req: Request,
    topic: string,
    /** The raw path segment of `/partitions/{p}`, or undefined on `/topics/{t}`. */
    partition: string | undefined,
    format: EmbeddedFormat,
  ): Promise<V2ProduceAnswer> {
    const keyed = keyedRequestOf(req);
    if (keyed === undefined) return this.run(req, topic, partition, format);
    const ran: { answer?: V2ProduceAnswer } = {};
    const result = await this.idempotency.run(keyed, async () => {
      const answer = await this.run(req, topic, partition, format);
      ran.answer = answer;
      return { status: answer.status, value: answer.body };
    });
    if (result.kind === 'replayed') {
      return { replayed: true, status: result.response.status, body: result.response.body };
    }
    // 'fresh' is only answered after the callback ran
    if (ran.answer === undefined) throw new Error('idempotent produce answered without running');
    return ran.answer;
  }

  private async run(
    req: Request,
    topic: string,
    partition: string | undefined,
    format: EmbeddedFormat,
  ): Promise<V2ProduceAnswer> {
    const result = await this.produce.produce(
      topic,
      partition === undefined ? undefined : partitionParam(partition),
      format,
      req.body,
      principalOf(req),
      recordMetadataHeader(req.headers[RECORD_METADATA_HEADER]),
    );
    return { replayed: false, status: result.status, body: result.body };
  }
}
