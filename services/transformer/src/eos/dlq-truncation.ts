import type { OutboundRecord, RecordHeaders } from '../../../common/src/kafka/records.js';
import { DLQ_HEADERS, RAW_HEADERS } from '../../../common/src/record-headers.js';
import { singleRecordBatchBytes } from './send-chunks.js';

/** Headers of the original record a truncated DLQ record keeps besides the dlq-* ones. */
const KEPT_HEADERS: readonly string[] = [
  RAW_HEADERS.eventId,
  RAW_HEADERS.eventType,
  RAW_HEADERS.locationId,
  RAW_HEADERS.receivedAt,
  RAW_HEADERS.requestId,
];

/**
 * The last resort for a DLQ record the DLQ topic cannot take whole (its max.message.bytes is
 * below the original record plus the dlq-* headers): the dlq-* headers (dlq-source names the
 * ghl.raw record, which still holds every byte until retention), a few identifying headers, a
 * `dlq-truncated` header with the original value's size, and as much of the value as fits in
 * `limit` bytes. A key-less record is keyed by its source address; the key is dropped if it alone
 * would not fit. Returns a record whose single-record
 * batch is at most `limit` bytes, or the smallest possible one if even that does not fit.
 */
export function truncateDlqMessage(full: OutboundRecord, limit: number): OutboundRecord {
  const original = full.value == null ? 0 : Buffer.byteLength(full.value);
  const headers: RecordHeaders = {};
  for (const name of [...KEPT_HEADERS, ...Object.values(DLQ_HEADERS)]) {
    const v = full.headers?.[name];
    if (v !== undefined) headers[name] = v;
  }
  headers[DLQ_HEADERS.truncated] = String(original);
  // A record without a key gets its source address as key: a compacted DLQ rejects key-less
  // records (INVALID_RECORD), which may be why the whole record was refused.
  const source = full.headers?.[DLQ_HEADERS.source];
  const key = full.key ?? (typeof source === 'string' || Buffer.isBuffer(source) ? source : null);
  let message: OutboundRecord = { key, value: Buffer.alloc(0), headers };
  if (singleRecordBatchBytes(message) > limit) message = { ...message, key: null };
  // Room left for the value; 5 bytes spare for the longer length varints a larger value needs.
  const room = limit - singleRecordBatchBytes(message) - 5;
  if (room <= 0 || full.value == null) return message;
  const value = typeof full.value === 'string' ? Buffer.from(full.value) : full.value;
  return { ...message, value: value.subarray(0, Math.min(room, value.length)) };
}
