import type {
  OutboundRecord,
  RecordHeaders,
  TopicRecords,
} from '../../../common/src/kafka/records.js';

/**
 * Per sendBatch call; a topic's part of it is also kept under its max.message.bytes. One
 * transaction's sends go one call after another, each a produce round trip, so fewer, larger
 * calls leave the transformer less time waiting (a per-instance round under a backlog carries up
 * to six partitions' records: 768 KiB calls made that about two dozen round trips).
 */
export const MAX_SEND_BYTES = 4 * 1024 * 1024;
/** Per topic per sendBatch call. */
export const MAX_SEND_RECORDS_PER_TOPIC = 4000;

/**
 * Bytes a v2 record batch adds around its records: base offset (8), batch length (4), partition
 * leader epoch (4), magic (1), CRC (4), attributes (2), last offset delta (4), first and max
 * timestamps (8 + 8), producer id (8), producer epoch (2), base sequence (4), record count (4).
 * The broker compares this whole size with the topic's max.message.bytes (Kafka protocol guide,
 * "Record Batch"; the broker's log validation rejects a larger batch with MESSAGE_TOO_LARGE).
 */
export const RECORD_BATCH_OVERHEAD = 61;

/**
 * Encoded size in bytes of `m` as one record of a v2 record batch (Kafka protocol guide,
 * "Record"): an upper bound, since the timestamp and offset deltas are counted at 5 bytes each.
 * Header values given as arrays count once per value, as kafkajs writes one header per value.
 */
export function recordBytes(m: OutboundRecord): number {
  const key = byteLength(m.key);
  const value = byteLength(m.value);
  let body =
    1 + // attributes
    5 + // timestamp delta
    5 + // offset delta
    (m.key == null ? 1 : varintBytes(key) + key) +
    (m.value == null ? 1 : varintBytes(value) + value);
  let headerCount = 0;
  body += headerBytes(m.headers, () => headerCount++);
  body += varintBytes(headerCount);
  return varintBytes(body) + body;
}

/** The size of the record batch that holds `m` alone: what a topic's max.message.bytes limits. */
export const singleRecordBatchBytes = (m: OutboundRecord): number =>
  RECORD_BATCH_OVERHEAD + recordBytes(m);

/**
 * kafkajs puts everything one sendBatch call holds for a partition into a single record batch
 * and never splits it, so a batch above the topic's max.message.bytes is rejected as a whole.
 * Inside a transaction the same records can go out in several sendBatch calls; this cuts them so
 * that each call stays under `maxBytes` in total, and each topic's part of a call (hence every
 * partition's record batch) under `topicLimit(topic)`, the topic's max.message.bytes.
 *
 * It also caps the records of one topic per call (`maxPerTopic`). kafkajs' own grouping of a
 * call's messages by partition was quadratic in the records per partition, which made this cap
 * small; the replacement send groups them in linear time (kafkajs-send-messages.ts).
 *
 * A single record larger than a limit goes out alone (the worker keeps such records out of a
 * transaction beforehand; see transaction-plan.ts).
 */
export function chunkTopicMessages(
  topicMessages: readonly TopicRecords[],
  maxBytes: number,
  maxPerTopic = Number.POSITIVE_INFINITY,
  topicLimit: (topic: string) => number = () => Number.POSITIVE_INFINITY,
): TopicRecords[][] {
  const calls: TopicRecords[][] = [];
  let current: TopicRecords[] = [];
  let currentBytes = 0;
  for (const { topic, messages } of topicMessages) {
    const limit = topicLimit(topic) - RECORD_BATCH_OVERHEAD;
    let bucket: OutboundRecord[] = [];
    let bucketBytes = 0;
    for (const message of messages) {
      const size = recordBytes(message);
      const overCall = currentBytes + size > maxBytes && currentBytes > 0;
      const overTopic = bucketBytes + size > limit && bucketBytes > 0;
      if (overCall || overTopic || bucket.length >= maxPerTopic) {
        if (bucket.length > 0) current.push({ topic, messages: bucket });
        calls.push(current);
        current = [];
        bucket = [];
        currentBytes = 0;
        bucketBytes = 0;
      }
      bucket.push(message);
      currentBytes += size;
      bucketBytes += size;
    }
    if (bucket.length > 0) current.push({ topic, messages: bucket });
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

function headerBytes(headers: RecordHeaders | undefined, count: () => void): number {
  if (!headers) return 0;
  let size = 0;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    const nameBytes = Buffer.byteLength(name);
    for (const value of Array.isArray(v) ? v : [v]) {
      const valueBytes = byteLength(value);
      size += varintBytes(nameBytes) + nameBytes + varintBytes(valueBytes) + valueBytes;
      count();
    }
  }
  return size;
}

/** Bytes of a zigzag varint (the protocol's signed varint) holding the non-negative `n`. */
function varintBytes(n: number): number {
  let zigzag = n * 2;
  let bytes = 1;
  while (zigzag >= 128) {
    zigzag = Math.floor(zigzag / 128);
    bytes++;
  }
  return bytes;
}

const byteLength = (v: Buffer | string | null | undefined): number =>
  v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
