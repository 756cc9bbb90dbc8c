import type { Transaction } from '../../../common/src/kafka/kafka-client.js';
import { retryConcurrentTransactions } from '../../../common/src/kafka/concurrent-transactions.js';
import { permanentRecordErrorType } from '../../../common/src/kafka/kafka-errors.js';
import type { TopicRecords } from '../../../common/src/kafka/records.js';
import { chunkTopicMessages, MAX_SEND_BYTES, MAX_SEND_RECORDS_PER_TOPIC } from './send-chunks.js';
import type { Phases } from './transaction-metrics.js';
import { TransactionFailed } from './transaction-part.js';

/** What one transaction sends: its records, and its offsets through `sendOffsets`. */
export interface TransactionContent {
  topicMessages: TopicRecords[];
  /** Adds the offsets to the transaction (AddOffsetsToTxn and TxnOffsetCommit). */
  sendOffsets: (offsets: Parameters<Transaction['sendOffsets']>[0]) => Promise<void>;
  offsets: Parameters<Transaction['sendOffsets']>[0];
  /** max.message.bytes of a topic, for the send chunks (send-chunks.ts). */
  limitOf: (topic: string) => number;
}

/**
 * Sends, commits offsets and commits `txn` (begun), recording in `phases` when each phase ended
 * (ms since `started`). The offsets do not depend on the outputs: AddOffsetsToTxn and
 * TxnOffsetCommit go to the coordinators while the produce requests (and their AddPartitionsToTxn)
 * are in flight, one chain of round trips instead of two in a row; both must succeed before the
 * commit. On any failure the transaction is aborted unless its commit was sent, and this throws
 * TransactionFailed: `ambiguous` when it was not aborted (it may have committed), `rejectedAs`
 * when the broker refused a record for good (a Kafka error type such as MESSAGE_TOO_LARGE).
 */
export async function sendAndCommit(
  txn: Pick<Transaction, 'sendBatch' | 'commit' | 'abort'>,
  content: TransactionContent,
  started: number,
  phases: Phases,
): Promise<void> {
  let committing = false;
  try {
    const sends = (async () => {
      for (const call of chunkTopicMessages(
        content.topicMessages,
        MAX_SEND_BYTES,
        MAX_SEND_RECORDS_PER_TOPIC,
        content.limitOf,
      ))
        await txn.sendBatch({ topicMessages: call, acks: -1 });
      phases.sent = Date.now() - started;
    })();
    // Sent while the previous transaction's markers may still be written and alongside the
    // records' AddPartitionsToTxn: the coordinators answer CONCURRENT_TRANSACTIONS meanwhile, and
    // kafkajs does not retry AddOffsetsToTxn.
    const offsets = retryConcurrentTransactions(() => content.sendOffsets(content.offsets));
    const [sent, added] = await Promise.allSettled([sends, offsets]);
    if (sent.status === 'rejected') throw sent.reason;
    if (added.status === 'rejected') throw added.reason;
    phases.offsets = Date.now() - started;
    committing = true;
    await txn.commit();
    phases.committed = Date.now() - started;
  } catch (err) {
    let aborted = false;
    if (!committing)
      aborted = await txn.abort().then(
        () => true,
        () => false,
      );
    throw new TransactionFailed(err, !aborted, aborted ? permanentRecordErrorType(err) : undefined);
  }
}
