import type { Consumer } from '../../../common/src/kafka/kafka-client.js';
import type { Logger } from '../../../common/src/logger.js';
import { isFencingError, isGroupMembershipError } from '../../../common/src/kafka/kafka-errors.js';
import type { PartitionWorker } from './partition-worker.js';
import { TransactionFailed } from './transaction-runner.js';
import type { WorkerDeps } from './worker-deps.js';

/** The back-off after a failed transaction, in ms: the first one and the ceiling it doubles up to. */
export interface BackoffSettings {
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/**
 * What the consume side (eos-loop.ts) does with a ghl.raw partition whose transaction (or
 * takeover, or ownership check) failed: it counts the retry (`retries` by cause: fenced,
 * transaction, processing), seeks the partition back to its worker's rewind target (the committed
 * offset, or where the worker began), closes the worker when its producer's state or the
 * transaction's outcome is unknown or it has no position (a fresh takeover follows), and pauses
 * the partition for an exponential back-off with jitter (a random delay between half the ceiling
 * and the ceiling, which doubles from `backoffInitialMs` per failure in a row up to
 * `backoffMaxMs`; the count is reset by the partition's next commit, `committed`). When the
 * back-off ends, a worker that is still the partition's is rewound and the partition resumed.
 *
 * Holds, per partition number, the failures in a row and the timer of the pending resume. The
 * workers map is the loop's own (partition → worker): a worker closed here is removed from it, and
 * a worker no longer in it is left alone. kafkajs' seek, pause and resume are called guarded:
 * while the consumer is crashed they throw, and are then logged and skipped. Nothing here throws.
 */
export class PartitionRewind {
  private readonly failures = new Map<number, number>();
  private readonly resumeTimers = new Map<number, NodeJS.Timeout>();
  private stopping = false;

  constructor(
    private readonly consumer: Pick<Consumer, 'seek' | 'pause' | 'resume'>,
    private readonly workers: Map<number, PartitionWorker>,
    private readonly deps: Pick<WorkerDeps, 'names' | 'metrics' | 'shared'>,
    private readonly settings: BackoffSettings,
    private readonly logger: Logger,
  ) {}

  /** The partition committed a transaction: its next failure backs off from the start again. */
  committed(partition: number): void {
    this.failures.delete(partition);
  }

  /**
   * The loop is stopping: the pending resumes are cancelled, and a back-off that ends from now on
   * still rewinds its worker but leaves the partition paused.
   */
  stop(): void {
    this.stopping = true;
    for (const timer of this.resumeTimers.values()) clearTimeout(timer);
  }

  /**
   * Rewinds and backs off `partition` after `err` failed its `worker` (undefined: it failed before
   * the partition had one).
   *
   * Never throws: it runs detached (`void`) from the transaction pump. A failure inside it (the
   * consumer may be crashed, and then seek and pause throw) is logged; the partition is then
   * fetched again from its committed offset when the consumer rejoins.
   */
  async onFailure(
    partition: number,
    worker: PartitionWorker | undefined,
    err: unknown,
  ): Promise<void> {
    try {
      await this.handleFailure(partition, worker, err);
    } catch (failure) {
      this.logger.error({ partition, err: failure, cause: err }, 'failure handling failed');
    }
  }

  private async handleFailure(
    partition: number,
    worker: PartitionWorker | undefined,
    err: unknown,
  ): Promise<void> {
    // Per-instance transactions: a stale generation means this instance is a zombie, like a fence.
    const fenced =
      isFencingError(err) || (this.deps.shared !== undefined && isGroupMembershipError(err));
    const ambiguous = err instanceof TransactionFailed && err.ambiguous;
    const cause = fenced
      ? 'fenced'
      : err instanceof TransactionFailed
        ? 'transaction'
        : 'processing';
    this.deps.metrics.retries.inc({ cause });
    const current = worker !== undefined && this.workers.get(partition) === worker;
    // Fetch again from the last committed offset; whatever was queued after it is dropped.
    const target = worker?.rewindTarget();
    if (current && target !== undefined) this.seek(partition, target);
    if (worker && current && (fenced || ambiguous || !worker.positioned)) {
      // The producer's state (or the transaction's outcome) is unknown: start over from a fresh
      // takeover, which re-reads the changelog and the committed offset.
      this.workers.delete(partition);
      await worker.close();
    }
    // Fenced: another producer took this partition's transactional.id. Either this instance lost
    // the partition and will hear so at its next heartbeat (the rebalance then revokes it here), or
    // a revoked instance's late takeover fenced the rightful owner. Both are handled the same way:
    // back off, then take over again if still assigned; every takeover fences, restores and
    // re-reads the committed offset, so a brief back-and-forth costs time, never a duplicate.
    const failures = (this.failures.get(partition) ?? 0) + 1;
    this.failures.set(partition, failures);
    const ceiling = Math.min(
      this.settings.backoffMaxMs,
      this.settings.backoffInitialMs * 2 ** (failures - 1),
    );
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.logger.warn(
      { partition, err, failures, retryInMs: delay, cause },
      'batch rolled back; will retry',
    );
    this.pauseFor(partition, delay, () => {
      if (this.workers.get(partition) === worker) worker?.rewound(target);
    });
  }

  // kafkajs' seek, pause and resume throw while a crashed consumer waits to restart ("Consumer
  // group was not initialized"). Nothing is lost by skipping them then: the restarted consumer
  // starts every partition from its committed offset, unpaused, and rejoins (GROUP_JOIN), after
  // which each worker re-checks its offsets.
  /** Makes kafkajs fetch `partition` of ghl.raw from `offset` next; skipped (logged) if it throws. */
  seek(partition: number, offset: bigint): void {
    this.guarded('seek', partition, () =>
      this.consumer.seek({ topic: this.deps.names.raw, partition, offset: offset.toString() }),
    );
  }

  private pauseFor(partition: number, ms: number, beforeResume: () => void): void {
    const topic = this.deps.names.raw;
    this.guarded('pause', partition, () =>
      this.consumer.pause([{ topic, partitions: [partition] }]),
    );
    clearTimeout(this.resumeTimers.get(partition));
    this.resumeTimers.set(
      partition,
      setTimeout(() => {
        this.resumeTimers.delete(partition);
        beforeResume();
        if (!this.stopping)
          this.guarded('resume', partition, () =>
            this.consumer.resume([{ topic, partitions: [partition] }]),
          );
      }, ms),
    );
  }

  private guarded(action: string, partition: number, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.logger.warn({ err, partition, action }, 'consumer call skipped (consumer not running)');
    }
  }
}
