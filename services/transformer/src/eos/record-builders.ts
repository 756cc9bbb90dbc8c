import type { OutboundRecord, RecordHeaders } from '../../../common/src/kafka/records.js';
import { dlqHeaders, type DlqFailure } from '../../../common/src/dlq-record.js';
import {
  headerStrings,
  OUTPUT_HEADERS,
  RAW_HEADERS,
  rawHeader,
} from '../../../common/src/record-headers.js';

export interface OutputRecordInput {
  key: string;
  value: Buffer;
  /** The raw record's event-id header Buffer when it holds the event ID (no copy), else the ID. */
  eventId: Buffer | string;
  type: string;
  occurredAt: number;
  locationId: string;
  traceparent: Buffer | string | undefined;
}

// kafkajs turns every string header value into a new Buffer per record. The transformer is
// CPU-bound in kafkajs' encoding (profiled: ~30% of its time), so header values that repeat are
// kept as Buffers: two constants, and bounded caches for the type and source values.
const SPECVERSION = Buffer.from('1.0');
const AVRO_CONTENT_TYPE = Buffer.from('application/avro');

class BufferCache {
  private readonly buffers = new Map<string, Buffer>();
  constructor(private readonly limit: number) {}
  get(text: string): Buffer {
    let buffer = this.buffers.get(text);
    if (!buffer) {
      if (this.buffers.size >= this.limit) this.buffers.clear();
      buffer = Buffer.from(text);
      this.buffers.set(text, buffer);
    }
    return buffer;
  }
}
const typeBuffers = new BufferCache(1000);
const sourceBuffers = new BufferCache(10_000);

/** An output record: Avro value plus CloudEvents binary-mode headers (Kafka protocol binding). */
export function outputMessage(o: OutputRecordInput): OutboundRecord {
  const headers: RecordHeaders = {
    [OUTPUT_HEADERS.specversion]: SPECVERSION,
    [OUTPUT_HEADERS.id]: o.eventId,
    [OUTPUT_HEADERS.source]: sourceBuffers.get(`/ghl/locations/${o.locationId}`),
    [OUTPUT_HEADERS.type]: typeBuffers.get(o.type),
    [OUTPUT_HEADERS.time]: new Date(o.occurredAt).toISOString(),
    [OUTPUT_HEADERS.contentType]: AVRO_CONTENT_TYPE,
  };
  if (o.traceparent) headers[OUTPUT_HEADERS.traceparent] = o.traceparent;
  return { key: o.key, value: o.value, headers };
}

export type { DlqFailure };

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders | undefined;
}

/**
 * A DLQ record keeps the raw record's key, exact bytes and headers, so a redrive republishes
 * precisely what GHL sent; the dlq-* headers say why and where it came from.
 */
export function dlqMessage(
  source: SourceRecord,
  failure: DlqFailure,
  failedAt: number,
): OutboundRecord {
  return {
    key: source.key,
    value: source.value,
    headers: dlqHeaders(source.headers, failure, source, failedAt),
  };
}

// The one header decoding of the pipeline (services/common/src/record-headers.ts), re-exported for
// the partition worker.
export { headerStrings, rawHeader };

export const RAW_EVENT_ID = RAW_HEADERS.eventId;
export const RAW_TRACEPARENT = RAW_HEADERS.traceparent;
