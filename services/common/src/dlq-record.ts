// The ghl.dlq record format. The transformer writes a record that failed permanently as the
// original ghl.raw record (key, exact bytes, every original header) plus the dlq-* headers below;
// the CLI reads those headers back (`dlq list|show`) and strips them on `dlq redrive`.
import type { DlqReason } from './errors.js';
import { DLQ_HEADERS, headerOf, recordAddress, type RecordHeaders } from './record-headers.js';

/** Where in the transformation a permanent failure happened (the dlq-stage header). */
export type DlqStage =
  | 'parse'
  | 'normalise'
  | 'map'
  | 'tenant'
  | 'payload'
  | 'encode'
  /** Writing the record to Kafka: the broker would reject it, or did for good. */
  | 'produce';

/** Why a record went to the DLQ. */
export interface DlqFailure {
  reason: DlqReason;
  stage: DlqStage;
  /** For humans triaging; names fields and types, never values. */
  message: string;
  /** How many times processing the record was tried. */
  attempts: number;
}

/** DLQ error text is for humans triaging; capped so one odd message cannot bloat every header. */
export const MAX_DLQ_ERROR_LENGTH = 1000;

/**
 * The headers of a DLQ record: a copy of the original ones plus `dlq-reason`, `dlq-error` (at
 * most MAX_DLQ_ERROR_LENGTH characters), `dlq-source` (`topic/partition/offset` of the ghl.raw
 * record), `dlq-failed-at` (ISO-8601 of `failedAt`, epoch millis), `dlq-attempts`, `dlq-stage`.
 */
export function dlqHeaders(
  original: RecordHeaders | undefined,
  failure: DlqFailure,
  source: { topic: string; partition: number; offset: string },
  failedAt: number,
): RecordHeaders {
  const headers: RecordHeaders = { ...(original ?? {}) };
  headers[DLQ_HEADERS.reason] = failure.reason;
  headers[DLQ_HEADERS.error] = failure.message.slice(0, MAX_DLQ_ERROR_LENGTH);
  headers[DLQ_HEADERS.source] = recordAddress(source.topic, source.partition, source.offset);
  headers[DLQ_HEADERS.failedAt] = new Date(failedAt).toISOString();
  headers[DLQ_HEADERS.attempts] = String(failure.attempts);
  headers[DLQ_HEADERS.stage] = failure.stage;
  return headers;
}

/** The dlq-* headers of a DLQ record as read back; null for any that is missing. */
export interface DlqInfo {
  reason: string | null;
  stage: string | null;
  error: string | null;
  /** `topic/partition/offset` of the ghl.raw record that failed. */
  source: string | null;
  /** ISO-8601, as written. */
  failedAt: string | null;
  attempts: number | null;
  /** The original value's size in bytes when the DLQ holds a truncated copy of it. */
  truncated: number | null;
}

const count = (text: string | undefined): number | null => {
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
};

/** Reads the dlq-* headers (first value of each, as text). */
export function parseDlqHeaders(headers: RecordHeaders | undefined): DlqInfo {
  const h = (name: string) => headerOf(headers, name) ?? null;
  return {
    reason: h(DLQ_HEADERS.reason),
    stage: h(DLQ_HEADERS.stage),
    error: h(DLQ_HEADERS.error),
    source: h(DLQ_HEADERS.source),
    failedAt: h(DLQ_HEADERS.failedAt),
    attempts: count(headerOf(headers, DLQ_HEADERS.attempts)),
    truncated: count(headerOf(headers, DLQ_HEADERS.truncated)),
  };
}

const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

/** Whether a header is one the DLQ added (a redrive drops them). */
export const isDlqHeader = (name: string): boolean => DLQ_HEADER_NAMES.has(name);
