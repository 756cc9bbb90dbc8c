import type { Producer } from '../../../common/src/kafka/kafka-client.js';
import type { Logger } from '../../../common/src/logger.js';
import { Murmur2Partitioner } from '../../../common/src/kafka/partitioner.js';
import { domainTopicNames } from '../../../common/src/topics.js';
import {
  sweepDecisionOf,
  sweepOpenTransactions,
  type SweepDecision,
  type SweepTarget,
} from './transaction-sweep.js';
import { ChangelogReader } from './changelog-reader.js';
import { DedupPartition } from './dedup-store.js';
import type { SharedTransactions } from './participant.js';
import type { WorkerDeps, WorkerSettings } from './worker-deps.js';

/** The part of a worker's dependencies (worker-deps.ts) a takeover uses. */
export type TakeoverDeps = Pick<
  WorkerDeps,
  'kafka' | 'admin' | 'transactions' | 'names' | 'reader' | 'metrics'
> & {
  settings: Pick<WorkerSettings, 'groupId' | 'transactionTimeoutMs' | 'restoreTimeoutMs'>;
};

/** What a takeover leaves the new owner: the restored dedup state and the committed offset. */
export interface TakenOver {
  dedup: DedupPartition;
  /** Next offset to process as committed in the group (-1n: nothing committed yet). */
  committed: bigint;
}

/**
 * The ownership of one ghl.raw partition (docs/exactly-once.md, "Takeover"): the partition's
 * transactional producer (transactional.id = <group>-<topic>-<partition>, the zombie fence kafkajs
 * allows), the fence, the changelog marker and restore, and the group's committed offset.
 */
export class Takeover {
  constructor(
    private readonly partition: number,
    private readonly deps: TakeoverDeps,
    private readonly log: Logger,
  ) {}

  get transactionalId(): string {
    return `${this.deps.settings.groupId}-${this.deps.names.raw}-${this.partition}`;
  }

  newProducer(): Producer {
    return this.deps.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.deps.settings.transactionTimeoutMs,
      // Same placement as kafkajs' default (Java murmur2), without its ~7 µs of Long arithmetic per key.
      createPartitioner: Murmur2Partitioner,
      // Retriable failures (a leader moving, a coordinator loading) are retried from 10 ms, not
      // kafkajs' 300 ms. CONCURRENT_TRANSACTIONS reaches it only after a send has spent
      // 1 s asking again every few milliseconds (concurrent-transactions.ts).
      retry: { initialRetryTime: 10, multiplier: 1.5, maxRetryTime: 500, retries: 12 },
    });
  }

  /**
   * Takes the partition over with `producer` (fresh, not connected): its first transaction sends
   * InitProducerId, which bumps the epoch and aborts (or waits out) the previous owner's open
   * transaction, and is the sweep (transaction-sweep.ts); the marker committed in the next one
   * tells the changelog reader where complete state ends; then the committed offset is read,
   * which after the fence can no longer move under us.
   */
  async run(producer: Producer): Promise<TakenOver> {
    const started = Date.now();
    await producer.connect();
    const swept = await this.fenceAndSweep(producer);
    const marker = await this.commitMarker(producer);
    const { dedup, restored } = await this.restore(marker);
    const committed = await this.fetchCommitted();
    return this.done(started, dedup, committed, { restoredRecords: restored, swept });
  }

  /**
   * The takeover with per-instance transactions (instance-transactions.ts), where the group
   * generation is the fence: this instance's own transactions are settled first (a failed one
   * would hold the offsets); the committed offset is read with require_stable, which waits for a
   * previous owner's transaction that holds offsets for the partition; one that has not sent its
   * offsets yet can no longer commit them (its generation is stale), so it aborts. Then the
   * marker, committed by the shared producer, and the restore up to it: a previous owner's
   * changelog records before the marker are read once their transaction has ended.
   */
  async runShared(shared: SharedTransactions): Promise<TakenOver> {
    const started = Date.now();
    await shared.settle();
    const committed = await shared.fetchStable(this.partition);
    const marker = await shared.exclusive((producer) => this.commitMarker(producer));
    const { dedup, restored } = await this.restore(marker);
    return this.done(started, dedup, committed, { restoredRecords: restored });
  }

  /** Commits a new marker to this partition's changelog partition; returns it. */
  private async commitMarker(producer: Producer): Promise<string> {
    const marker = ChangelogReader.newMarker();
    const txn = await producer.transaction();
    try {
      await txn.send({
        topic: this.deps.names.dedup,
        acks: -1,
        messages: [{ key: marker, value: null, partition: this.partition }],
      });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    return marker;
  }

  /** The dedup state read from the changelog partition up to `marker`. */
  private async restore(marker: string): Promise<{ dedup: DedupPartition; restored: number }> {
    const dedup = new DedupPartition();
    const { reader, settings } = this.deps;
    const restored = await reader.restore(this.partition, marker, dedup, settings.restoreTimeoutMs);
    return { dedup, restored };
  }

  private done(
    started: number,
    dedup: DedupPartition,
    committed: bigint,
    extra: Record<string, unknown>,
  ): TakenOver {
    this.deps.metrics.restores.observe((Date.now() - started) / 1000);
    this.deps.metrics.dedupKeys.set({ partition: this.partition }, dedup.size);
    this.log.info(
      {
        ...extra,
        dedupKeys: dedup.size,
        committed: String(committed),
        ms: Date.now() - started,
      },
      'partition taken over',
    );
    return { dedup, committed };
  }

  /**
   * Fences again with a fresh `producer` (not connected), sweeps (transaction-sweep.ts) and
   * returns the committed offset read right after: the caller keeps its state only if that offset
   * did not move. After a cleanly aborted transaction the sweep aborts; a transaction the caller
   * saw commit whose markers Kafka skipped, offsets included, has its pending offset discarded
   * with the rest: the offset read shows it, and the caller does a full takeover. (One whose
   * offset marker was written but not all its others is a limit: docs/exactly-once.md, "Sweep".)
   */
  async refence(producer: Producer): Promise<bigint> {
    await producer.connect();
    await this.fenceAndSweep(producer);
    return this.fetchCommitted();
  }

  /**
   * Asks the coordinator how this transactional.id's last transaction was decided
   * (DescribeTransactions; InitProducerId overwrites that), then fences (kafkajs sends
   * InitProducerId with a producer's first transaction()) in the sweep's transaction, which adds
   * every partition this transactional.id writes and ends the same way (transaction-sweep.ts).
   * Returns the decision.
   */
  private async fenceAndSweep(producer: Producer): Promise<SweepDecision> {
    // Targets first: nothing between the description and the fence but the fence's own lookup.
    const targets = await this.sweepTargets();
    const last = await this.deps.transactions.describe(this.transactionalId);
    const decision = sweepDecisionOf(last);
    await sweepOpenTransactions(producer, targets, decision, this.deps.settings.groupId);
    this.log.info({ last: last?.state ?? 'none', swept: decision }, 'fenced and swept');
    return decision;
  }

  /** Every partition of the output topics and the DLQ, and this partition's changelog partition. */
  private async sweepTargets(): Promise<SweepTarget[]> {
    const { names, admin } = this.deps;
    const topics = [...domainTopicNames(names), names.dlq];
    const metadata = await admin.fetchTopicMetadata({ topics });
    return [
      ...metadata.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => p.partitionId),
      })),
      { topic: names.dedup, partitions: [this.partition] },
    ];
  }

  /** The group's committed offset for the partition (-1n: none). */
  async fetchCommitted(): Promise<bigint> {
    const offsets = await this.deps.admin.fetchOffsets({
      groupId: this.deps.settings.groupId,
      topics: [this.deps.names.raw],
    });
    const entry = offsets[0]?.partitions.find((p) => p.partition === this.partition);
    return entry ? BigInt(entry.offset) : -1n;
  }
}
