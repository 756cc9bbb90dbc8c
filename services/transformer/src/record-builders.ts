import type { IHeaders, Message } from 'kafkajs';
import type { DlqReason } from '../../common/src/errors.js';
import {
  DLQ_HEADERS,
  OUTPUT_HEADERS,
  RAW_HEADERS,
  recordAddress,
} from '../../common/src/record-headers.js';
import type { DlqStage } from './transform-types.js';

/** DLQ error text is for humans triaging; cap it so one odd message cannot bloat every header. */
const MAX_ERROR_LENGTH = 1000;

export interface OutputRecordInput {
  key: string;
  value: Buffer;
  eventId: string;
  type: string;
  occurredAt: number;
  locationId: string;
  traceparent: string | undefined;
}

/** An output record: Avro value plus CloudEvents binary-mode headers (Kafka protocol binding). */
export function outputMessage(o: OutputRecordInput): Message {
  const headers: IHeaders = {
    [OUTPUT_HEADERS.specversion]: '1.0',
    [OUTPUT_HEADERS.id]: o.eventId,
    [OUTPUT_HEADERS.source]: `/ghl/locations/${o.locationId}`,
    [OUTPUT_HEADERS.type]: o.type,
    [OUTPUT_HEADERS.time]: new Date(o.occurredAt).toISOString(),
    [OUTPUT_HEADERS.contentType]: 'application/avro',
  };
  if (o.traceparent) headers[OUTPUT_HEADERS.traceparent] = o.traceparent;
  return { key: o.key, value: o.value, headers };
}

export interface DlqFailure {
  reason: DlqReason;
  stage: DlqStage;
  message: string;
  attempts: number;
}

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

/**
 * A DLQ record keeps the raw record's key, exact bytes and headers, so a redrive republishes
 * precisely what GHL sent; the dlq-* headers say why and where it came from.
 */
export function dlqMessage(source: SourceRecord, failure: DlqFailure, failedAt: number): Message {
  const headers: IHeaders = { ...(source.headers ?? {}) };
  headers[DLQ_HEADERS.reason] = failure.reason;
  headers[DLQ_HEADERS.error] = failure.message.slice(0, MAX_ERROR_LENGTH);
  headers[DLQ_HEADERS.source] = recordAddress(source.topic, source.partition, source.offset);
  headers[DLQ_HEADERS.failedAt] = new Date(failedAt).toISOString();
  headers[DLQ_HEADERS.attempts] = String(failure.attempts);
  headers[DLQ_HEADERS.stage] = failure.stage;
  return { key: source.key, value: source.value, headers };
}

/** Header values as strings (first value when repeated), the form the transformation reads. */
export function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[name] = typeof first === 'string' ? first : first.toString();
  }
  return out;
}

export const traceparentOf = (headers: Readonly<Record<string, string>>) =>
  headers[RAW_HEADERS.traceparent];
