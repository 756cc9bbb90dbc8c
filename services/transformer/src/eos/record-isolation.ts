import type { FetchedRecord } from '../../../common/src/kafka/records.js';
import type { Logger } from '../../../common/src/logger.js';
import { isSizeError } from '../../../common/src/kafka/kafka-errors.js';
import type { RecordQueue } from './record-queue.js';
import type { TransactionFailed } from './transaction-part.js';
import type { TransactionRunner } from './transaction-runner.js';
import type { WorkerDeps } from './worker-deps.js';

/**
 * What becomes of a record the broker rejected for good in one partition worker (a transaction
 * aborted with TransactionFailed.rejectedAs, a Kafka error type such as MESSAGE_TOO_LARGE): its
 * chunk goes back to the head of the worker's queue, which then hands those records out one per
 * transaction (record-queue.ts), so the rest commits and only the rejected record's attempts
 * count (the worker's transactions count them, transaction-runner.ts; the planner dead-letters
 * it after `maxRecordAttempts`).
 *
 * Two cases go again whole once first, since the refusal may not be the chunk's own:
 * - a size refusal (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE): the topic limits are re-read, and
 *   with them the planner dead-letters a record over its topic's limit as `output_too_large` and
 *   the sends are cut to the new limit (send-chunks.ts);
 * - per-instance transactions, a transaction that held several partitions' parts: the refused
 *   record may be any part's, so each part goes again in a transaction of its own.
 * Only a chunk refused again (alone) is taken apart one record per transaction: at most
 * `maxTransactionRecords` transactions, while the instance's rounds alternate between this
 * partition and the others (instance-transactions.ts). The partition also stays out of rounds
 * while a rejected part's records are on their way back to the queue (`requeueing`).
 */
export class RecordIsolation {
  /**
   * Per-instance transactions: set from a broker rejection until its chunk is queued again for
   * isolation; no round may take this partition's later records before that.
   */
  private inRequeue = false;

  constructor(
    private readonly queue: RecordQueue,
    private readonly attempts: Pick<TransactionRunner, 'noteRejected'>,
    private readonly deps: Pick<WorkerDeps, 'limits' | 'settings'>,
    private readonly log: Logger,
  ) {}

  /** Per-instance transactions: a rejected part's records are not queued again yet. */
  get requeueing(): boolean {
    return this.inRequeue;
  }

  /**
   * After the broker rejected a record of `chunk` for good (the transaction was aborted): puts
   * the chunk back. It goes again whole, in a transaction of this partition alone, when it was
   * not alone in its transaction or the refusal was for size, unless it already went again whole;
   * else it is retried one record per transaction (`alone`: the chunk was the transaction's only
   * records), and a lone record counts an attempt; the planner dead-letters it after the
   * configured attempts. Returns false once even its last-resort DLQ record was rejected: the
   * caller then backs off and retries like any failure (an operator has to look at the DLQ topic).
   */
  async isolate(chunk: FetchedRecord[], err: TransactionFailed, alone = true): Promise<boolean> {
    const size = isSizeError(err.rejectedAs);
    if (size)
      await this.deps.limits
        .refresh()
        .catch((e: unknown) => this.log.warn({ err: e }, 'topic limits not refreshed'));
    this.queue.putBack(chunk);
    const last = chunk[chunk.length - 1] as FetchedRecord;
    if (!alone || (size && !this.queue.wentAloneThrough(BigInt(last.offset)))) {
      this.queue.aloneThrough(BigInt(last.offset));
      // Not alone: the round logged the error once (instance-transactions.ts); each part names it.
      this.log.warn(
        {
          ...(alone ? { err } : {}),
          rejectedAs: err.rejectedAs,
          from: chunk[0]?.offset,
          through: last.offset,
          alone,
        },
        alone
          ? 'the broker rejected a record for its size; retrying these records whole with the topic limits re-read'
          : 'the broker rejected a record of a transaction this partition shared; retrying these records in a transaction of their own',
      );
      return true;
    }
    if (chunk.length > 1) {
      this.queue.isolateThrough(BigInt(last.offset));
      this.log.warn(
        { err, rejectedAs: err.rejectedAs, from: chunk[0]?.offset, through: last.offset },
        'the broker rejected a record for good; retrying these records one per transaction',
      );
      return true;
    }
    const count = this.attempts.noteRejected(last.offset, err);
    this.log.warn({ err, offset: last.offset, attempts: count }, 'the broker rejected a record');
    return count <= this.deps.settings.maxRecordAttempts + 1;
  }

  /**
   * Per-instance transactions: isolates the records of a part whose transaction was aborted for
   * a rejected record (`alone`: the part was the transaction's only one), `requeueing` meanwhile.
   * Then `requeued`, or `failed` with what to report (`err`, or the isolation's own failure).
   */
  requeue(
    chunk: FetchedRecord[],
    err: TransactionFailed,
    alone: boolean,
    then: { requeued: () => void; failed: (err: unknown) => void },
  ): void {
    this.inRequeue = true;
    void this.isolate(chunk, err, alone).then(
      (requeued) => {
        this.inRequeue = false;
        if (requeued) then.requeued();
        else then.failed(err);
      },
      (e: unknown) => {
        this.inRequeue = false;
        then.failed(e);
      },
    );
  }
}
