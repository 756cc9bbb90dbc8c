import type { Producer } from '../../../common/src/kafka/kafka-client.js';
import { sendAndCommit } from './transaction-commit.js';
import type { FetchedRecord } from '../../../common/src/kafka/records.js';
import { TransformerError } from '../../../common/src/errors.js';
import type { Logger } from '../../../common/src/logger.js';
import { DedupPartition } from './dedup-store.js';
import type { SharedTransactions } from './participant.js';
import type { PartitionOffsets } from './partition-offsets.js';
import { Takeover } from './takeover.js';
import {
  recordCommitted,
  recordTransaction,
  type CommitTiming,
  type Phases,
} from './transaction-metrics.js';
import {
  planTransaction,
  RecordFailure,
  topicMessagesOf,
  type Plan,
  type PlannerDeps,
  type RecordAttempts,
} from './transaction-plan.js';
import type { DlqStage } from '../mapping/transform-types.js';
import type { WorkerDeps } from './worker-deps.js';

import { TransactionFailed, type PreparedPart } from './transaction-part.js';

export { TransactionFailed, type PreparedPart };

/**
 * The transactions of one partition worker: its producer (taken over, renewed after a failure),
 * its committed dedup state, the failed attempts per record, and one transaction per chunk:
 * plan (transaction-plan.ts), send, and only after the commit apply. The committed offset it
 * reports to the worker's offsets (partition-offsets.ts).
 */
export class TransactionRunner {
  private dedup = new DedupPartition();
  private producer: Producer | undefined;
  /**
   * Set after a failed transaction. kafkajs rolls its idempotent sequence numbers back after any
   * failed produce request, including for partitions the broker did append to in that request; a
   * later batch reusing those numbers would be acknowledged as a duplicate and silently dropped.
   * A fresh producer (InitProducerId: new epoch, sequences from 0) is the only safe way on.
   */
  private producerStale = false;
  private readonly attempts = new Map<string, RecordAttempts>();
  /**
   * Records found over a topic limit by a reading too old to judge them, and the records after
   * them in that chunk: the readings started then (TopicLimits.readingsStarted). The first
   * reading started after that judges them, however long they wait. Forgotten at the commit.
   */
  private readonly limitsStale = new Map<string, number>();
  private inFlight: Promise<unknown> | undefined;
  private inFence: Promise<unknown> | undefined;
  private closed = false;
  private readonly takeover: Takeover;
  private readonly planner: PlannerDeps;

  constructor(
    private readonly partition: number,
    private readonly offsets: PartitionOffsets,
    private readonly deps: WorkerDeps,
    private readonly log: Logger,
  ) {
    this.takeover = new Takeover(partition, deps, log);
    const { names, encoder, context, transform, limits, settings, tracing } = deps;
    this.planner = { names, encoder, context, transform, limits, settings, tracing, log };
  }

  /** Fence, marker, restore and committed offset (takeover.ts) with a fresh producer. */
  async takeOver(): Promise<void> {
    this.producer = this.takeover.newProducer();
    const { dedup, committed } = await this.fencing(this.takeover.run(this.producer));
    this.dedup = dedup;
    this.offsets.tookOver(committed);
  }

  /**
   * Tracks a takeover or renewal, whose sweep `close` must let end: a sweep cut off after its
   * fence would leave its transaction open, and the next fence would abort it, whatever the
   * coordinator had decided for the transaction it settles (transaction-sweep.ts).
   */
  private async fencing<T>(work: Promise<T>): Promise<T> {
    this.inFence = work;
    try {
      return await work;
    } finally {
      if (this.inFence === work) this.inFence = undefined;
    }
  }

  /** Per-instance transactions: the takeover without a producer of its own (takeover.ts). */
  async takeOverShared(shared: SharedTransactions): Promise<void> {
    const { dedup, committed } = await this.takeover.runShared(shared);
    this.dedup = dedup;
    this.offsets.tookOver(committed);
  }

  /**
   * The group's committed offset. Per-instance: read with require_stable once this instance's own
   * transactions are settled (a failed one of ours would otherwise hold the read until it timed out).
   */
  async fetchCommitted(): Promise<bigint> {
    const shared = this.deps.shared;
    if (!shared) return this.takeover.fetchCommitted();
    await shared.settle();
    return shared.fetchStable(this.partition);
  }

  /** The broker rejected the record at `offset` for good: one more attempt; returns the count. */
  noteRejected(offset: string, err: TransactionFailed): number {
    const prior = this.attempts.get(offset);
    const count = (prior?.count ?? 0) + 1;
    this.attempts.set(offset, {
      count,
      error: `${err.rejectedAs}: ${(err.cause as Error)?.message ?? String(err.cause)}`,
      stage: 'produce',
    });
    return count;
  }

  /**
   * Processes `messages` (offset order) in one transaction. Throws TransactionFailed or a planning
   * error. `fetchedAt`: when each record was fetched, for the `queue_wait` stage.
   */
  async run(
    topic: string,
    messages: FetchedRecord[],
    fetchedAt: Pick<WeakMap<FetchedRecord, number>, 'get'>,
  ): Promise<void> {
    if (this.closed || !this.producer)
      throw new TransactionFailed(new Error('worker closed'), true);
    const producer = this.producerStale ? await this.fencing(this.renewProducer()) : this.producer;
    const run = this.transact(producer, topic, messages, fetchedAt);
    this.inFlight = run;
    try {
      await run;
    } finally {
      this.inFlight = undefined;
    }
  }

  /**
   * Replaces the producer after a transaction that was cleanly aborted (see producerStale). The
   * new producer's InitProducerId bumps the epoch. That also fences any instance that took this
   * partition over meanwhile, so the committed offset is read again right after it: if it moved,
   * someone else processed records and this worker's dedup state and offset are stale, and the
   * failure becomes ambiguous (the loop then does a full takeover with restore). If it did not
   * move, nobody else committed, and the state is still exact: no restore needed. The renewal
   * also sweeps (transaction-sweep.ts): what the failed transaction wrote ends aborted even where
   * Kafka skipped its markers, and an earlier commit whose markers (offsets included) Kafka skipped
   * is aborted whole and shows as a moved offset.
   */
  private async renewProducer(): Promise<Producer> {
    const old = this.producer;
    this.producer = undefined;
    await old?.disconnect().catch(() => undefined);
    const producer = this.takeover.newProducer();
    try {
      const committed = await this.takeover.refence(producer);
      if (committed !== this.offsets.committedNext)
        throw new Error(`committed offset moved to ${committed} while this worker recovered`);
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw new TransactionFailed(err, true);
    }
    if (this.closed) {
      await producer.disconnect().catch(() => undefined);
      throw new TransactionFailed(new Error('worker closed'), true);
    }
    this.producer = producer;
    this.producerStale = false;
    return producer;
  }

  private async transact(
    producer: Producer,
    topic: string,
    messages: FetchedRecord[],
    fetchedAt: Pick<WeakMap<FetchedRecord, number>, 'get'>,
  ): Promise<void> {
    const started = Date.now();
    const part = this.prepare(topic, messages, started);
    if (!part) return;
    const { next, topicMessages } = part;

    let txn;
    try {
      txn = await producer.transaction();
    } catch (err) {
      throw new TransactionFailed(err, true);
    }
    const phases: Phases = { began: Date.now() - started, sent: 0, offsets: 0, committed: 0 };
    try {
      await sendAndCommit(
        txn,
        {
          topicMessages,
          sendOffsets: (o) => txn.sendOffsets(o),
          offsets: {
            consumerGroupId: this.deps.settings.groupId,
            topics: [{ topic, partitions: [{ partition: this.partition, offset: next }] }],
          },
          limitOf: this.deps.limits.limitOf,
        },
        started,
        phases,
      );
    } catch (err) {
      this.producerStale = true;
      this.deps.metrics.transactions.inc({ result: 'abort' });
      this.failed(part, err);
      throw err;
    }
    if (phases.committed >= this.deps.settings.slowTransactionMs)
      this.log.warn({ records: messages.length, msSince: phases }, 'slow transaction');

    this.applyCommitted(part, { started, phases, fetchedAt });
    recordTransaction(this.deps.metrics, messages.length, started);
  }

  /**
   * Plans `messages` (offset order) as one transaction's part: the plan (transaction-plan.ts),
   * the offset to commit next (decimal string) and the records to send. Undefined for no messages.
   * Throws only to retry (a record's failure is counted against it first).
   */
  prepare(topic: string, messages: FetchedRecord[], now: number): PreparedPart | undefined {
    const last = messages[messages.length - 1];
    if (!last) return undefined;
    const plan = this.plan(topic, messages, now);
    return {
      messages,
      plan,
      next: (BigInt(last.offset) + 1n).toString(),
      topicMessages: topicMessagesOf(plan, this.deps.names),
    };
  }

  /** A part that did not commit: its record spans end with `err`. */
  failed(part: PreparedPart, err: unknown): void {
    this.deps.tracing?.fail(part.plan.spans, err);
  }

  /**
   * Applies a committed part: only now is its dedup state real (tombstoned keys first, then new
   * ones), its records' attempts forgotten, its offset committed; metrics and spans recorded.
   */
  applyCommitted(part: PreparedPart, timing: CommitTiming): void {
    const { plan, messages, next } = part;
    for (const key of plan.expired) this.dedup.remove(key);
    for (const [key, expiry] of plan.added) this.dedup.add(key, expiry);
    for (const m of messages) {
      this.attempts.delete(m.offset);
      this.limitsStale.delete(m.offset);
    }
    this.offsets.committedThrough(BigInt(next));
    if (this.log.isLevelEnabled('debug'))
      this.log.debug(
        {
          from: messages[0]?.offset,
          through: messages[messages.length - 1]?.offset,
          outputs: messages.length - plan.dlq.length - plan.duplicates - plan.skipped,
          dlq: plan.dlq.length,
          duplicates: plan.duplicates,
          skipped: plan.skipped,
        },
        'transaction committed',
      );
    this.deps.tracing?.end(plan.spans);
    recordCommitted(this.deps.metrics, this.partition, this.dedup, plan, messages, timing);
    this.deps.onCommitted?.(this.partition);
  }

  /**
   * Decides every record of the chunk (transaction-plan.ts). Throws only to retry; when the topic
   * limits were too old to dead-letter a record by, reads them again first.
   */
  private plan(topic: string, messages: FetchedRecord[], now: number): Plan {
    try {
      return planTransaction(this.planner, this.dedup, this.attempts, {
        topic,
        partition: this.partition,
        messages,
        now,
        limitsReadSince: (offset) => {
          const at = this.limitsStale.get(offset);
          return at !== undefined && this.deps.limits.readSince(at);
        },
      });
    } catch (err) {
      if (!(err instanceof RecordFailure)) throw err;
      if (
        err.error instanceof TransformerError &&
        err.error.code === 'TRF_ERR_TOPIC_LIMITS_STALE'
      ) {
        // The first verdict holds: a later one would wait for a later reading, and a reading
        // slower than the back-off would never end in time. The chunk's later records go with it.
        const started = this.deps.limits.readingsStarted;
        for (const m of messages)
          if (BigInt(m.offset) >= BigInt(err.offset) && !this.limitsStale.has(m.offset))
            this.limitsStale.set(m.offset, started);
        this.deps.limits
          .refresh()
          .catch((e: unknown) => this.log.warn({ err: e }, 'topic limits not refreshed'));
      }
      throw this.noteFailure(err.offset, err.error, err.stage);
    }
  }

  /** Counts an unclassified failure against the record; transient ones do not count. */
  private noteFailure(offset: string, err: unknown, stage: DlqStage): unknown {
    if (err instanceof TransformerError && err.retriable) return err;
    const prior = this.attempts.get(offset);
    this.attempts.set(offset, {
      count: (prior?.count ?? 0) + 1,
      error: (err as Error)?.message ?? String(err),
      stage,
    });
    return err;
  }

  /** Waits for an in-flight takeover, renewal or transaction, then disconnects the producer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.inFence?.catch(() => undefined);
    await this.inFlight?.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.deps.metrics.dedupKeys.remove({ partition: this.partition });
    this.deps.metrics.dedupBytes.remove({ partition: this.partition });
  }
}
