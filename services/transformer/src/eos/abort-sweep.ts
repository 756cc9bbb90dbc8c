import type { Producer, TopicMessages } from 'kafkajs';
import { MARKER_PREFIX } from './dedup-store.js';

/**
 * The key of a sweep's records. Compacted topics (the changelog) refuse records without a key
 * (INVALID_RECORD); the changelog restore skips marker keys, and the records are aborted anyway.
 */
export const SWEEP_KEY = `${MARKER_PREFIX}sweep`;

/** The partitions of a topic to sweep. */
export interface SweepTarget {
  topic: string;
  partitions: readonly number[];
}

/**
 * Ends as aborted whatever this transactional.id left open on `targets`: one transaction of
 * `producer` (fresh: its first transaction() sends InitProducerId, the fence) sends a record with
 * key SWEEP_KEY and no value to each partition and is aborted. Its abort markers decide every
 * record of the producer id still open there. Throws what kafkajs throws (the caller treats the partition's
 * state as unknown and tries again).
 *
 * Why: Kafka can end a transaction without writing its markers to some partitions. Its transaction
 * coordinator skips a partition whose leader it cannot find, taking it for a deleted topic
 * (TransactionMarkerChannelManager logs "Couldn't find leader endpoint for partitions … these
 * partitions are likely deleted already and hence can be skipped"). That happens when the only
 * broker fences itself after a long pause (a 10 s SIGSTOP past broker.session.timeout.ms), for
 * the ~100 ms its partitions have no leader, and it hits commits and aborts alike. The records
 * stay open, and the next marker of the same producer id on each partition decides them: the next
 * commit made an aborted transaction's output visible beside its retry, and made a "committed"
 * transaction whose offset commit never took effect visible beside its reprocessing (duplicates
 * seen in the broker-sigstop fault scenario). Swept at every takeover and producer renewal, before
 * anything commits and before the state is read, such a transaction is aborted everywhere at once:
 * its outputs, changelog entries and (never materialised) offsets agree, and it is processed again.
 */
export async function sweepOpenTransactions(
  producer: Pick<Producer, 'transaction'>,
  targets: readonly SweepTarget[],
): Promise<void> {
  const topicMessages: TopicMessages[] = targets
    .filter((t) => t.partitions.length > 0)
    .map(({ topic, partitions }) => ({
      topic,
      messages: partitions.map((partition) => ({ key: SWEEP_KEY, value: null, partition })),
    }));
  const txn = await producer.transaction();
  if (topicMessages.length === 0) {
    await txn.abort();
    return;
  }
  try {
    await txn.sendBatch({ topicMessages, acks: -1 });
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  }
  await txn.abort();
}
