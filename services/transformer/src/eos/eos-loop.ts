import {
  fetchedOffsetOf,
  type Consumer,
  type ConsumerRunConfig,
  type EachBatchPayload,
} from '../../../common/src/kafka/kafka-client.js';
import {
  superviseConsumer,
  type ConsumerSupervisor,
} from '../../../common/src/kafka/consumer-supervisor.js';
import type { Logger } from '../../../common/src/logger.js';
import { isGroupMembershipError, rejoinRequired } from '../../../common/src/kafka/kafka-errors.js';
import type { ConsumerGroupMetadata } from '../../../common/src/kafka/kafkajs-group-metadata.js';
import { PartitionRewind, type BackoffSettings } from './partition-rewind.js';
import { PartitionWorker } from './partition-worker.js';
import type { WorkerDeps } from './worker-deps.js';

export interface LoopSettings extends BackoffSettings {
  partitionsConsumedConcurrently: number;
  /** Fetched records waiting for a transaction, per partition, before fetching more of it. */
  maxQueuedRecords: number;
  heartbeatIntervalMs: number;
  /** Kafka counts as unreachable (not ready) when no broker answered the consumer for this long. */
  kafkaStaleMs: number;
}

/**
 * The consume side of the exactly-once loop: a read_committed group consumer on ghl.raw that
 * never commits by itself. Each partition's worker commits the offsets inside the transaction
 * that writes that partition's outputs (partition-worker.ts).
 *
 * Fetching and transactions are decoupled: a batch is queued on its partition's worker and
 * resolved in kafkajs at once, so kafkajs fetches on (its fetch loop otherwise waits for the
 * slowest partition). kafkajs' resolved offset is only its fetch position here, never a commit.
 * When a transaction fails, the worker's queue is dropped and the partition is sought back to
 * the last committed offset, paused for a backoff, and fetched again from there
 * (partition-rewind.ts).
 */
export class EosLoop {
  private readonly workers = new Map<number, PartitionWorker>();
  /** Rewinds and backs off a partition whose transaction failed; shares `workers`. */
  private readonly rewind: PartitionRewind;
  private generation = 0;
  private assigned = new Set<number>();
  private stopping = false;
  private readonly workerDeps: WorkerDeps;
  /** Joined and assigned; false from a crash or a rebalance until the next GROUP_JOIN. */
  private inGroup = false;
  /** When a broker last answered the consumer (any request: fetch, heartbeat, commit …). */
  private lastResponseAt = 0;
  private supervisor: ConsumerSupervisor | undefined;
  /** The generation and member id of the last join; undefined while not in the group. */
  private membership: ConsumerGroupMetadata | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly deps: WorkerDeps,
    private readonly settings: LoopSettings,
    private readonly logger: Logger,
  ) {
    this.rewind = new PartitionRewind(consumer, this.workers, deps, settings, logger);
    this.workerDeps = { ...deps, onCommitted: (partition) => this.rewind.committed(partition) };
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      // kafkajs-member-reuse.ts adds the generation to kafkajs' payload.
      const { generationId } = payload as { generationId?: number | null };
      this.membership =
        typeof generationId === 'number' && generationId >= 0
          ? { generationId, memberId: payload.memberId }
          : undefined;
      this.onGroupJoin(payload.memberAssignment[deps.names.raw] ?? []);
    });
    const left = () => {
      this.inGroup = false;
      this.membership = undefined;
    };
    consumer.on(consumer.events.REBALANCING, left);
    consumer.on(consumer.events.REQUEST, () => (this.lastResponseAt = Date.now()));
    consumer.on(consumer.events.CRASH, left);
  }

  /**
   * What keeps this instance from doing its job now; empty when it is ready. Not ready while no
   * broker answers, while the consumer is crashed or (re)joining the group, and while a
   * partition is being taken over (fence, dedup restore, committed offset).
   */
  notReadyReasons(): string[] {
    const reasons: string[] = [];
    if (this.stopping) return ['stopping'];
    if (Date.now() - this.lastResponseAt > this.settings.kafkaStaleMs)
      reasons.push('Kafka unreachable');
    if (!this.inGroup) reasons.push('consumer not in its group (starting, rejoining or crashed)');
    const restoring = [...this.workers.values()].filter((w) => w.restoring).map((w) => w.partition);
    if (restoring.length > 0) reasons.push(`taking over partitions ${restoring.join(', ')}`);
    return reasons;
  }

  /**
   * The consumer's group metadata (generation, member id) for per-instance transactions' offset
   * commits; undefined while it is not in the group.
   */
  get groupMetadata(): ConsumerGroupMetadata | undefined {
    return this.membership;
  }

  /**
   * Per-instance transactions: the group coordinator rejected the offsets of a transaction that
   * carried `used` (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION). If the loop still holds that
   * membership it is stale; kafkajs learns so only at its next heartbeat, and its rejoin after
   * UNKNOWN_MEMBER_ID comes without a REBALANCING event. The loop counts itself out of the group
   * (no round begins with the stale membership) until the next GROUP_JOIN; its next batch makes
   * kafkajs rejoin (onBatch).
   */
  membershipRejected(used: ConsumerGroupMetadata): void {
    const known = this.membership;
    if (known?.generationId !== used.generationId || known.memberId !== used.memberId) return;
    this.logger.warn(
      { generation: used.generationId },
      'the group coordinator rejected our membership; rejoining',
    );
    this.membership = undefined;
    this.inGroup = false;
  }

  get ownedPartitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.deps.names.raw, fromBeginning: true });
    const runConfig: ConsumerRunConfig = {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.settings.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    };
    this.supervisor = superviseConsumer(this.consumer, runConfig, this.logger);
    await this.consumer.run(runConfig);
  }

  /** Leaves the group, lets each partition's transaction in flight finish, closes the producers. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.supervisor?.stop();
    this.rewind.stop();
    await this.consumer.disconnect();
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    this.workers.clear();
    await this.deps.shared?.close();
  }

  private onGroupJoin(partitions: number[]): void {
    this.generation++;
    this.inGroup = true;
    this.lastResponseAt = Date.now();
    // A partition that moved to another instance: its lag is that instance's to report now.
    for (const partition of this.assigned)
      if (!partitions.includes(partition)) this.deps.metrics.lag.remove({ partition });
    this.assigned = new Set(partitions);
    for (const [partition, worker] of this.workers) {
      if (this.assigned.has(partition)) {
        worker.markRebalanced();
        // Per-instance, a kept partition takes no part in transactions until its ownership is
        // confirmed: check now rather than at its next fetched batch, which may not come soon.
        if (this.deps.shared) void this.confirmKept(partition, worker);
      } else {
        this.workers.delete(partition);
        void worker.close();
      }
    }
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
    if (!this.inGroup) {
      // kafkajs fetches while the loop counts itself out of the group: after a REBALANCING with
      // no GROUP_JOIN yet (kafkajs-member-reuse.ts keeps kafkajs from fetching after a failed
      // join; this is the second line), or after the coordinator rejected the membership our
      // offsets carried (membershipRejected) before kafkajs' own heartbeat learnt it. No
      // transaction may commit outside the group: make kafkajs rejoin now.
      this.logger.warn({ partition }, 'kafkajs fetched outside the group; making it rejoin');
      throw rejoinRequired('fetched while not in the group; rejoining');
    }
    // A batch fetched before a rebalance that took the partition away: not ours to touch.
    if (!this.assigned.has(partition)) return;
    let worker = this.workers.get(partition);
    try {
      worker = await this.readyWorker(partition, worker);
      // Everything below up to accept() is synchronous: a failure handler cannot interleave.
      if (isStale() || this.workers.get(partition) !== worker) return;
      const accepted = worker.accept(
        {
          fetchedOffset: BigInt(fetchedOffsetOf(batch)),
          firstOffset: batch.firstOffset(),
          lastOffset: batch.lastOffset(),
          messages: batch.messages,
        },
        (err) => void this.rewind.onFailure(partition, worker, err),
      );
      if (accepted === 'failed') return;
      if (accepted !== 'queued') {
        this.rewind.seek(partition, accepted.seek);
        return;
      }
      resolveOffset(batch.lastOffset());
      this.deps.metrics.lag.set({ partition }, Number(batch.offsetLag()));
      while (worker.hasBacklog(this.settings.maxQueuedRecords) && isRunning() && !this.stopping) {
        await worker.waitForRoom(this.settings.maxQueuedRecords, this.settings.heartbeatIntervalMs);
        await heartbeat();
      }
    } catch (err) {
      if (isGroupMembershipError(err)) throw err; // kafkajs rejoins the group on these
      await this.rewind.onFailure(partition, worker, err);
    }
  }

  /**
   * Per-instance transactions: the ownership check of a partition kept across a rebalance. Not
   * ours any more (someone committed meanwhile): the worker is closed, and the next batch takes
   * the partition over. A failed check is handled like a failed transaction (rewind, back off,
   * check again with the next batch). Never throws.
   */
  private async confirmKept(partition: number, worker: PartitionWorker): Promise<void> {
    try {
      if (
        await worker.confirmOwnership((err) => void this.rewind.onFailure(partition, worker, err))
      )
        return;
      if (this.workers.get(partition) !== worker) return;
      this.logger.info(
        { partition },
        'partition was processed elsewhere during the rebalance; taking it over again',
      );
      this.workers.delete(partition);
      await worker.close();
    } catch (err) {
      await this.rewind.onFailure(partition, worker, err);
    }
  }

  /** The partition's worker, taken over (fence + restore) when new or when its state is in doubt. */
  private async readyWorker(
    partition: number,
    existing: PartitionWorker | undefined,
  ): Promise<PartitionWorker> {
    if (existing && !existing.rebalanced && !existing.needsTakeover) return existing;
    if (existing?.needsTakeover) {
      this.workers.delete(partition);
      await existing.close();
    } else if (existing) {
      // Kept across a rebalance: still ours only if nobody committed in between.
      if (
        await existing.confirmOwnership(
          (err) => void this.rewind.onFailure(partition, existing, err),
        )
      )
        return existing;
      this.logger.info(
        { partition },
        'partition was processed elsewhere during the rebalance; taking it over again',
      );
      this.workers.delete(partition);
      await existing.close();
    }
    const worker = new PartitionWorker(partition, this.workerDeps);
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
}
