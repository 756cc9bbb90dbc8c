// The record shapes the services work on: plain `{key, value, headers}` objects, independent of
// the Kafka client. They match what kafkajs hands over and accepts (structurally), so the seam
// costs no copy; a different client maps its own records to these in this folder. Headers
// (`RecordHeaders`: name → Buffer or string, an array when a name repeats) are declared with the
// header rules in record-headers.ts and re-exported here.
import type { RecordHeaders } from '../record-headers.js';

export type { RecordHeaders };

/**
 * A record to produce, without its topic (the topic is the batch's, {@link TopicRecords}).
 * `partition` unset means the producer's partitioner picks it from the key; `timestamp` is epoch
 * milliseconds as a decimal string (the broker's CreateTime), unset means "now".
 */
export interface OutboundRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: RecordHeaders;
  timestamp?: string;
}

/** The records to produce to one topic. */
export interface TopicRecords {
  topic: string;
  messages: OutboundRecord[];
}

/**
 * A record as fetched from one partition: `offset` and `timestamp` (epoch ms) are decimal strings
 * (Kafka offsets are int64, beyond a JS number's exact range); `key`/`value` are null for a Kafka
 * null (a tombstone value), never undefined. Headers are absent on pre-v2 (message set) records.
 */
export interface FetchedRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  offset: string;
  headers?: RecordHeaders;
}
