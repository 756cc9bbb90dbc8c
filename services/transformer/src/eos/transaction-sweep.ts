import type { Producer } from '../../../common/src/kafka/kafka-client.js';
import type { OutboundRecord, TopicRecords } from '../../../common/src/kafka/records.js';
import type { TransactionDescription } from '../../../common/src/kafka/kafkajs-describe-transactions.js';
import { ADD_PARTITION_ONLY } from '../../../common/src/kafka/kafkajs-send-messages.js';

/** The partitions of a topic to sweep. */
export interface SweepTarget {
  topic: string;
  partitions: readonly number[];
}

/** How a sweep ends: as the coordinator decided this transactional.id's last transaction. */
export type SweepDecision = 'commit' | 'abort';

/**
 * The sweep's decision from the coordinator's description of the transactional.id, read before
 * the fence: `commit` when its last transaction was decided committed (PrepareCommit: markers
 * being written; CompleteCommit), `abort` otherwise (Ongoing and PrepareEpochFence end aborted
 * by the fence; PrepareAbort, CompleteAbort; Empty: fenced since; no state at all).
 */
export function sweepDecisionOf(last: TransactionDescription | undefined): SweepDecision {
  // Empty after a fence also follows a sweep that was cut off between its fence and its end; if
  // that sweep was deciding a commit, the decision is lost (docs/exactly-once.md, "Sweep").
  return last?.state === 'PrepareCommit' || last?.state === 'CompleteCommit' ? 'commit' : 'abort';
}

/**
 * Decides whatever this transactional.id left open on `targets` the way the coordinator decided
 * its last transaction: one transaction of `producer` (fresh: its first transaction() sends
 * InitProducerId, the fence) adds every target partition without writing a record to it
 * (ADD_PARTITION_ONLY, AddPartitionsToTxn only) and the offsets partition of `groupId` (an empty
 * TxnOffsetCommit), and ends with `decision`. Its markers decide every record of the producer id
 * still open there, and its pending offsets; nothing else is written. Throws what kafkajs throws
 * (the caller treats the partition's state as unknown and tries again).
 *
 * Why: Kafka can end a transaction without writing its markers to some partitions. Its transaction
 * coordinator skips a partition whose leader it cannot find, taking it for a deleted topic
 * (TransactionMarkerChannelManager logs "Couldn't find leader endpoint for partitions … these
 * partitions are likely deleted already and hence can be skipped"). Kafka 4's metadata cache
 * answers "no leader" the same way as "no such partition", so this happens whenever a partition
 * has no leader while markers are written: the only broker fencing itself after a long pause, or
 * restarting after kill -9 while loading transactions to complete. Commits and aborts alike. The
 * records stay open, and the next marker of the same producer id on each partition decides them:
 * a later commit made an aborted transaction's output visible beside its retry (duplicates), and
 * an abort sweep made a committed transaction's outputs disappear after its offset had taken
 * effect (lost events, both seen in the broker fault scenarios).
 *
 * Why one decision fits: every failed transaction is followed by a sweep before the next one
 * (the worker renews its producer or takes the partition over), so since the previous sweep every
 * transaction but the last was committed. What is open is therefore either committed work, or
 * the last transaction's. Swept with the last transaction's outcome, before anything else
 * commits and before the state is read, each transaction ends the same on all its partitions.
 */
export async function sweepOpenTransactions(
  producer: Pick<Producer, 'transaction'>,
  targets: readonly SweepTarget[],
  decision: SweepDecision,
  groupId: string,
): Promise<void> {
  const topicMessages: TopicRecords[] = targets
    .filter((t) => t.partitions.length > 0)
    .map(({ topic, partitions }) => ({
      topic,
      messages: partitions.map(
        (partition) => ({ partition, value: null, [ADD_PARTITION_ONLY]: true }) as OutboundRecord,
      ),
    }));
  const txn = await producer.transaction();
  try {
    if (topicMessages.length > 0) await txn.sendBatch({ topicMessages, acks: -1 });
    // The group's offsets partition too (AddOffsetsToTxn; no offset is written): the group
    // coordinator keeps a transaction's offsets pending per producer id until a marker there
    // decides them, so offsets whose marker was skipped end like the rest.
    await txn.sendOffsets({ consumerGroupId: groupId, topics: [] });
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  }
  if (decision === 'commit') await txn.commit();
  else await txn.abort();
}
