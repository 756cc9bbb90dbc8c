import type { Logger } from '../../../common/src/logger.js';
import type { Participant } from './participant.js';
import { PartitionOffsets } from './partition-offsets.js';
import { RecordIsolation } from './record-isolation.js';
import { RecordQueue, type FetchedBatch } from './record-queue.js';
import type { Phases } from './transaction-metrics.js';
import { TransactionFailed, TransactionRunner, type PreparedPart } from './transaction-runner.js';
import type { WorkerDeps } from './worker-deps.js';

/**
 * What became of a fetched batch: queued (its new records, possibly none), dropped because the
 * worker failed and is being rewound, or dropped because kafkajs must first seek back to `seek`.
 */
export type Accepted = 'queued' | 'failed' | { seek: bigint };

/**
 * Owns one ghl.raw partition for one group generation: its transactional producer
 * (transactional.id = <group>-<topic>-<partition>, the zombie fence kafkajs allows), its dedup
 * state, and the one-transaction-per-chunk processing of docs/exactly-once.md. The takeover is
 * takeover.ts, the transactions transaction-runner.ts; this holds the partition's offsets
 * (partition-offsets.ts), its queue of fetched records (record-queue.ts), the pump that feeds the
 * transactions, and what becomes of a record the broker rejects (record-isolation.ts).
 */
export class PartitionWorker implements Participant {
  private readonly offsets = new PartitionOffsets();
  private readonly transactions: TransactionRunner;
  /** Set when a transaction failed: the queue was dropped and the partition is being rewound. */
  private failed = false;
  private takingOver = false;
  /** Per-instance transactions: set when the committed offset moved under us (verifyCommitted). */
  private inDoubt = false;
  private readonly queue: RecordQueue;
  private readonly isolation: RecordIsolation;
  private pumping: Promise<void> | undefined;
  private held = false;
  /** An ownership check in progress (confirmOwnership), shared by whoever asks meanwhile. */
  private confirming: Promise<boolean> | undefined;
  /** Per-instance transactions: where a failure is reported (set by the first accepted batch). */
  private onFailure: ((err: unknown) => void) | undefined;
  private closed = false;
  private readonly log: Logger;

  constructor(
    readonly partition: number,
    private readonly deps: WorkerDeps,
  ) {
    this.log = deps.logger.child({ partition });
    this.queue = new RecordQueue(this.offsets, deps.metrics, this.log);
    this.transactions = new TransactionRunner(partition, this.offsets, deps, this.log);
    this.isolation = new RecordIsolation(this.queue, this.transactions, deps, this.log);
  }

  /**
   * Takes the partition over: a fresh producer's first transaction sends InitProducerId, which
   * bumps the epoch and aborts (or waits out) the previous owner's open transaction; the marker
   * committed in it tells the changelog reader where complete state ends; then the committed
   * offset is read, which after the fence can no longer move under us.
   */
  async init(): Promise<void> {
    this.takingOver = true;
    try {
      const shared = this.deps.shared;
      if (shared) {
        await this.transactions.takeOverShared(shared);
        if (!this.closed) shared.add(this);
      } else await this.transactions.takeOver();
    } finally {
      this.takingOver = false;
    }
  }

  /** True from the start of a takeover until its restore is complete (readiness reports it). */
  get restoring(): boolean {
    return this.takingOver;
  }

  /** The group rebalanced while this worker kept the partition: its ownership must be re-checked. */
  markRebalanced(): void {
    this.offsets.markRebalanced();
  }

  get rebalanced(): boolean {
    return this.offsets.rebalanced;
  }

  /**
   * Kept across a rebalance: stops starting transactions, waits for the one in flight and
   * compares the group's committed offset with ours. Equal: nobody processed the partition
   * meanwhile, the worker goes on (true). Different: it stays held (false); the caller closes it.
   */
  confirmOwnership(onFailure: (err: unknown) => void): Promise<boolean> {
    this.confirming ??= this.confirmOnce(onFailure).finally(() => (this.confirming = undefined));
    return this.confirming;
  }

  private async confirmOnce(onFailure: (err: unknown) => void): Promise<boolean> {
    await this.hold();
    const committed = await this.transactions.fetchCommitted();
    if (!this.offsets.confirm(committed)) return false;
    this.release(onFailure);
    return true;
  }

  /**
   * Takes a fetched batch: drops what was already queued, queues the rest and makes sure a
   * transaction loop runs. The consume side does not wait for transactions: it keeps fetching
   * while a transaction is in flight, and the next transaction takes everything queued meanwhile
   * (bigger transactions under load, and one slow partition no longer holds back the fetch of
   * the others).
   */
  accept(batch: FetchedBatch, onFailure: (err: unknown) => void): Accepted {
    if (this.failed) return 'failed';
    const records = this.queue.newRecords(batch);
    if ('seek' in records) return records;
    if (this.closed || records.length === 0) return 'queued';
    this.queue.push(records);
    this.startPump(onFailure);
    return 'queued';
  }

  /** More than `limit` records wait for a transaction (and the worker did not fail). */
  hasBacklog(limit: number): boolean {
    // Per-instance, a partition kept across a rebalance waits for its ownership check.
    const waiting = this.deps.shared !== undefined && this.offsets.rebalanced;
    return this.queue.length > limit && !this.failed && !this.inDoubt && !waiting;
  }

  /** False until the worker accepted a batch (and after a rewind to an unknown offset). */
  get positioned(): boolean {
    return this.offsets.positioned;
  }

  /** Where to rewind kafkajs to after a failure: the committed offset, or where this worker began. */
  rewindTarget(): bigint | undefined {
    return this.offsets.rewindTarget();
  }

  /** Clears the failure after a rewind: kafkajs will deliver again from `offset`. */
  rewound(offset: bigint | undefined): void {
    this.queue.clear();
    this.offsets.rewound(offset);
    this.failed = false;
  }

  private startPump(onFailure: (err: unknown) => void): void {
    if (this.deps.shared) {
      this.onFailure = onFailure;
      if (!this.held) this.deps.shared.wake();
      return;
    }
    if (this.pumping || this.held) return;
    this.pumping = this.pump(onFailure).finally(() => {
      this.pumping = undefined;
      this.queue.wakeRoomWaiters();
    });
  }

  private async pump(onFailure: (err: unknown) => void): Promise<void> {
    const { maxTransactionRecords: max, transactionGapMs } = this.deps.settings;
    let first = true;
    while (this.queue.length > 0 && !this.closed && !this.failed && !this.held) {
      // Right after EndTxn the broker is still writing the previous transaction's markers, and
      // AddPartitionsToTxn answers CONCURRENT_TRANSACTIONS until it is done; the send path asks
      // again after 1, 2, 4 … ms (concurrent-transactions.ts). Measured here (Kafka 4.4, kafkajs
      // 2.2.4) when kafkajs' retrier still waited 10 ms: back to back, half the transactions hit
      // it (p50 9 ms); with a 2-5 ms pause almost none do (p50 5 ms). The pause still spares the
      // coordinator those requests and lets more records join the next transaction.
      if (!first && transactionGapMs > 0) await new Promise((r) => setTimeout(r, transactionGapMs));
      first = false;
      if (this.closed || this.failed || this.held || this.queue.length === 0) break;
      const chunk = this.queue.take(max);
      try {
        await this.transactions.run(this.deps.names.raw, chunk, this.queue.fetchedAt);
      } catch (err) {
        const rejected = err instanceof TransactionFailed && err.rejectedAs;
        if (rejected && (await this.isolation.isolate(chunk, err))) continue;
        this.failed = true;
        this.queue.clear();
        onFailure(err);
        return;
      }
    }
  }

  /** Per-instance transactions: its next part goes in a transaction alone (record-isolation.ts). */
  get alone(): boolean {
    return this.queue.alone;
  }

  /** Per-instance transactions: records ready for the next round. */
  get ready(): number {
    // Kept across a rebalance: not until the ownership check passed (the loop starts it).
    return this.closed ||
      this.failed ||
      this.held ||
      this.takingOver ||
      this.inDoubt ||
      this.isolation.requeueing ||
      this.offsets.rebalanced
      ? 0
      : this.queue.length;
  }

  abandon(err: TransactionFailed): void {
    this.fail(err);
  }

  /**
   * Per-instance transactions, after the shared producer was fenced and swept: a committed offset
   * other than ours means a commit we applied did not take effect (instance-transactions.ts). The
   * worker stops and asks for a takeover, which restores the state and re-reads the offset.
   */
  verifyCommitted(committed: bigint): void {
    if (!this.offsets.positioned || committed === this.offsets.committedNext) return;
    this.log.warn(
      { committed: String(committed), ours: String(this.offsets.committedNext) },
      'committed offset differs from ours after the sweep; taking the partition over again',
    );
    this.inDoubt = true;
    this.fail(
      new TransactionFailed(new Error(`committed offset moved to ${committed} under us`), true),
    );
    this.queue.wakeRoomWaiters();
  }

  /** The worker's state can no longer be trusted: the loop must replace it (a new takeover). */
  get needsTakeover(): boolean {
    return this.inDoubt;
  }

  /** Per-instance transactions: takes and plans the next records (instance-transactions.ts). */
  takePart(max: number, now: number): PreparedPart | undefined {
    if (this.ready === 0) return undefined;
    const chunk = this.queue.take(max);
    try {
      return this.transactions.prepare(this.deps.names.raw, chunk, now);
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  partCommitted(part: PreparedPart, started: number, phases: Phases): void {
    this.transactions.applyCommitted(part, { started, phases, fetchedAt: this.queue.fetchedAt });
  }

  partFailed(part: PreparedPart, err: TransactionFailed, alone: boolean): void {
    this.transactions.failed(part, err);
    if (this.closed) return;
    if (!err.rejectedAs) {
      this.fail(err);
      return;
    }
    this.isolation.requeue(part.messages, err, alone, {
      requeued: () => this.deps.shared?.wake(),
      failed: (e) => this.fail(e),
    });
  }

  /** Drops the queue and reports `err` (the loop rewinds the partition). */
  private fail(err: unknown): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.queue.clear();
    this.onFailure?.(err);
  }

  /** Resolves once at most `limit` records are queued, the worker failed or closed, or after `ms`. */
  waitForRoom(limit: number, ms: number): Promise<void> {
    if (this.failed || this.closed) return Promise.resolve();
    return this.queue.waitForRoom(limit, ms);
  }

  /**
   * Stops starting new transactions and waits for the one in flight, so the committed offset
   * can be compared with ours; `release` restarts the loop.
   */
  private async hold(): Promise<void> {
    this.held = true;
    await (this.deps.shared ? this.deps.shared.idle() : this.pumping);
  }

  private release(onFailure: (err: unknown) => void): void {
    this.held = false;
    if (this.queue.length > 0) this.startPump(onFailure);
  }

  /** Waits for an in-flight transaction, then disconnects the producer. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    this.queue.wakeRoomWaiters();
    if (this.deps.shared) {
      this.deps.shared.remove(this);
      await this.deps.shared.idle();
    }
    await this.transactions.close();
  }
}
