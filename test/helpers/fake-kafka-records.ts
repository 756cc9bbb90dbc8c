// What the fake cluster and its producers share: the committed record, the partition a record
// lands on (murmur2 of its key, as kafkajs' partitioner), and Kafka protocol errors as kafkajs
// surfaces them.
import { partitionOfKey } from '../../services/common/src/kafka/partitioner.js';

export interface CommittedRecord {
  topic: string;
  partition: number | undefined;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** A Kafka protocol error as kafkajs surfaces it (`type` names the error code). */
export const protocolError = (type: string): Error =>
  Object.assign(new Error(`broker answered ${type}`), { type });

/** Partitions of every topic of the fake cluster. */
export const PARTITIONS = 3;

/** The partition a record lands on: its own, else murmur2 of its key, as kafkajs' partitioner. */
export const slotOf = (r: CommittedRecord): string =>
  `${r.topic}/${
    r.partition !== undefined
      ? r.partition
      : r.key === null
        ? 'any'
        : partitionOfKey(r.key, PARTITIONS)
  }`;
