import type { ICustomPartitioner } from 'kafkajs';

// Which partition a keyed record lands on must not depend on which client wrote it: the
// transformer deduplicates per partition, and the CLI's replay and redrive write with kafkajs'
// DefaultPartitioner. So this is that partitioner's exact rule (Kafka's Java murmur2 of the key,
// positive, modulo the partition count), only computed with 32-bit integer arithmetic instead of
// kafkajs' Long objects, which cost ~7 µs per key, more than verifying the HMAC (ingress CPU profile).
// test/unit/common/partitioner.test.ts pins it to kafkajs' own implementation.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils#murmur2), as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const end = length & ~3;
  for (let i = 0; i < end; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[end + 2]! << 16;
    if (rest >= 2) h ^= data[end + 1]! << 8;
    h ^= data[end]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition of `partitions` (a count, > 0) a record keyed `key` lands on: Kafka's rule for a
 * keyed record (murmur2 of the key's bytes, made positive, modulo the count), which kafkajs'
 * DefaultPartitioner and the Java client apply too. A string key counts as its UTF-8 bytes.
 */
export function partitionOfKey(key: Uint8Array | string, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}

/**
 * kafkajs' DefaultPartitioner for keyed messages. Every ghl.raw record has a key (the event ID);
 * an explicit partition wins, and a key-less message falls back to round robin like kafkajs.
 */
export const Murmur2Partitioner: ICustomPartitioner = () => {
  let counter = Math.floor(Math.random() * 0x7fffffff);
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const { key } = message;
    if (key !== null && key !== undefined) {
      return partitionOfKey(Buffer.isBuffer(key) ? key : String(key), partitionMetadata.length);
    }
    counter = (counter + 1) & 0x7fffffff;
    return counter % partitionMetadata.length;
  };
};
