// The shapes around the batching producer: the record and the sink the HTTP layer sees, the
// slice of a kafkajs producer it drives, its options, and how many bytes a record adds to a batch.
import type { Producer } from '../../common/src/kafka/kafka-client.js';
import type { OutboundRecord } from '../../common/src/kafka/records.js';
import type { Logger } from '../../common/src/logger.js';
import type { IngressMetrics } from './metrics.js';

/** A ghl.raw record: key = event ID, value = the exact request bytes (an OutboundRecord). */
export interface RawRecord extends OutboundRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** What the HTTP layer needs from Kafka; tests put a fault-injecting one in its place. */
export interface RecordSink {
  /** Resolves once Kafka acknowledged the record; rejects with a 429 IngressError otherwise. */
  produce(record: RawRecord): Promise<void>;
  /** Producer connected and the topic known: what /readyz reports. */
  isReady(): boolean;
  /** Requests waiting for an ack. */
  pending(): number;
  /** Refuse new records (ING_ERR_SHUTTING_DOWN); those already taken still go out. */
  beginShutdown(): void;
  /** beginShutdown, wait for every taken record to settle, disconnect. */
  close(): Promise<void>;
}

export type ProducerLike = Pick<Producer, 'connect' | 'disconnect' | 'sendBatch'>;

export interface BatchingProducerOptions {
  topic: string;
  lingerMs: number;
  maxBatch: number;
  maxBatchBytes: number;
  timeoutMs: number;
  maxInFlight: number;
  /** Returns a NEW kafkajs producer (it gets a new producer id when it connects). */
  createProducer: () => ProducerLike;
  /** Rejects unless `topic` exists; runs on every (re)connect and as the idle health check. */
  checkTopic: () => Promise<void>;
  /**
   * While ready and idle (no acknowledged send for this long, nothing in flight), checkTopic runs
   * this often; a failed or hung check (longer than the interval) means Kafka is unreachable:
   * the producer is replaced, /readyz answers 503 and requests 429 until it is back. Without it,
   * an ingress without traffic would report ready through a whole outage. 0 turns it off.
   */
  healthCheckMs?: number;
  logger: Logger;
  metrics?: IngressMetrics;
  /** Reconnect backoff while Kafka is down: doubles from initialMs up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
}

/** Per-record framing of a Kafka v2 record (length, attributes, deltas, varint lengths), rounded up. */
const RECORD_OVERHEAD = 24;

/**
 * What a record adds to a record batch: value, key and headers. The broker refuses a batch over
 * message.max.bytes (1 MB by default) as a whole, so maxBatchBytes must count all of it, not
 * only the bodies: 1,000 one-KB webhooks carry ~0.3 MB of keys and headers on top.
 */
export function recordBytes(record: RawRecord): number {
  let bytes = RECORD_OVERHEAD + record.value.length + Buffer.byteLength(record.key);
  for (const name in record.headers) {
    bytes += name.length + Buffer.byteLength(record.headers[name]!) + 2;
  }
  return bytes;
}
