import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../common/src/logger.js';
import { isFencingError, isGroupMembershipError } from './kafka-errors.js';
import { PartitionWorker, TransactionFailed, type WorkerDeps } from './partition-worker.js';

export interface LoopSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  partitionsConsumedConcurrently: number;
  maxBytesPerPartition: number;
  /** Records per transaction at most; a larger fetched batch is split. */
  maxTransactionRecords: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/**
 * The consume side of the exactly-once loop: a read_committed group consumer on ghl.raw that
 * never commits by itself. Offsets are committed by each partition's transactional producer,
 * inside the transaction that writes the partition's outputs (partition-worker.ts).
 *
 * kafkajs re-fetches a partition from its last *resolved* offset, so a chunk that fails is
 * simply not resolved and comes back on the next fetch; the partition is paused meanwhile for
 * an exponential backoff, which leaves the other partitions running.
 */
export class EosLoop {
  private readonly workers = new Map<number, PartitionWorker>();
  private readonly failures = new Map<number, number>();
  private readonly resumeTimers = new Map<number, NodeJS.Timeout>();
  /** Partitions whose producer was fenced in the current generation: this instance is a zombie for them. */
  private readonly fencedIn = new Map<number, number>();
  private generation = 0;
  private assigned = new Set<number>();
  private stopping = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly deps: WorkerDeps,
    private readonly settings: LoopSettings,
    private readonly logger: Logger,
  ) {
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      this.onGroupJoin(payload.memberAssignment[deps.names.raw] ?? []),
    );
  }

  get ownedPartitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.deps.names.raw, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.settings.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finishes the transaction in progress, leaves the group, closes every producer. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.resumeTimers.values()) clearTimeout(timer);
    await this.consumer.disconnect();
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    this.workers.clear();
  }

  private onGroupJoin(partitions: number[]): void {
    this.generation++;
    this.assigned = new Set(partitions);
    for (const [partition, worker] of this.workers) {
      if (this.assigned.has(partition)) {
        worker.needsOffsetCheck = true;
      } else {
        this.workers.delete(partition);
        void worker.close();
      }
    }
    const resume = [...this.fencedIn.keys()].filter((p) => this.assigned.has(p));
    this.fencedIn.clear();
    if (resume.length > 0)
      this.consumer.resume([{ topic: this.deps.names.raw, partitions: resume }]);
    this.deps.metrics.assigned.set(this.assigned.size);
    this.logger.info({ generation: this.generation, partitions }, 'group joined');
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    if (this.stopping || !isRunning() || isStale() || batch.isEmpty()) return;
    if (this.fencedIn.get(partition) === this.generation) return;
    let worker = this.workers.get(partition);
    try {
      worker = await this.readyWorker(partition, worker);
      // After a takeover the committed offset may be ahead of where this fetch started.
      const from = worker.committedNext;
      const messages =
        from < 0n ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= from);
      for (let i = 0; i < messages.length; i += this.settings.maxTransactionRecords) {
        if (this.stopping || !isRunning() || isStale() || this.workers.get(partition) !== worker)
          return;
        const chunk = messages.slice(i, i + this.settings.maxTransactionRecords);
        await worker.runTransaction(batch.topic, chunk);
        resolveOffset((chunk[chunk.length - 1] as KafkaMessage).offset);
        this.failures.delete(partition);
        await heartbeat();
      }
      this.deps.metrics.lag.set({ partition }, Number(batch.offsetLag()));
    } catch (err) {
      if (isGroupMembershipError(err)) throw err; // kafkajs rejoins the group on these
      await this.onFailure(partition, worker, err);
    }
  }

  /** The partition's worker, taken over (fence + restore) when new or when its state is in doubt. */
  private async readyWorker(
    partition: number,
    existing: PartitionWorker | undefined,
  ): Promise<PartitionWorker> {
    if (existing && existing.needsOffsetCheck) {
      // Kept across a rebalance: still ours only if nobody committed in between.
      if ((await existing.fetchCommitted()) === existing.committedNext) {
        existing.needsOffsetCheck = false;
        return existing;
      }
      this.logger.info(
        { partition },
        'partition was processed elsewhere during the rebalance; taking it over again',
      );
      this.workers.delete(partition);
      await existing.close();
    } else if (existing) {
      return existing;
    }
    const worker = new PartitionWorker(partition, this.generation, this.deps);
    this.workers.set(partition, worker);
    try {
      await worker.init();
    } catch (err) {
      this.workers.delete(partition);
      await worker.close();
      throw err;
    }
    return worker;
  }

  private async onFailure(
    partition: number,
    worker: PartitionWorker | undefined,
    err: unknown,
  ): Promise<void> {
    const fenced = isFencingError(err);
    const ambiguous = err instanceof TransactionFailed && err.ambiguous;
    const cause = fenced
      ? 'fenced'
      : err instanceof TransactionFailed
        ? 'transaction'
        : 'processing';
    this.deps.metrics.retries.inc({ cause });
    if (worker && (fenced || ambiguous) && this.workers.get(partition) === worker) {
      // The producer's state (or the transaction's outcome) is unknown: start over from a fresh
      // takeover, which re-reads the changelog and the committed offset.
      this.workers.delete(partition);
      await worker.close();
    }
    if (fenced && worker && worker.generation === this.generation) {
      // A newer owner exists and this instance has not yet heard of the rebalance that made it.
      this.logger.warn(
        { partition },
        'producer fenced by a newer owner; pausing the partition until the next rebalance',
      );
      this.fencedIn.set(partition, this.generation);
      this.consumer.pause([{ topic: this.deps.names.raw, partitions: [partition] }]);
      return;
    }
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
    this.pauseFor(partition, delay);
  }

  private pauseFor(partition: number, ms: number): void {
    const topic = this.deps.names.raw;
    this.consumer.pause([{ topic, partitions: [partition] }]);
    clearTimeout(this.resumeTimers.get(partition));
    this.resumeTimers.set(
      partition,
      setTimeout(() => {
        this.resumeTimers.delete(partition);
        if (!this.stopping && this.fencedIn.get(partition) !== this.generation)
          this.consumer.resume([{ topic, partitions: [partition] }]);
      }, ms),
    );
  }
}
