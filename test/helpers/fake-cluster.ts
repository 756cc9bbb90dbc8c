// The fake cluster's state and broker faces: committed records and group offsets, the epochs and
// coordinator states per transactional.id, injected faults and skipped markers, and the kafka,
// admin, transactions and changelog-reader handles the code under test is given.
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { TransactionDescription } from '../../services/common/src/kafka/kafkajs-describe-transactions.js';
import type { DedupPartition } from '../../services/transformer/src/eos/dedup-store.js';
import { PARTITIONS, slotOf, type CommittedRecord } from './fake-kafka-records.js';
import { FakeProducer } from './fake-producer.js';

/**
 * Where a fault hits a transaction, in the order kafkajs goes: begin, sends, offsets, commit.
 * 'sendBatch' faults hit sends carrying at least one value (not a sweep's added partitions).
 */
export type FaultPoint = 'transaction' | 'sendBatch' | 'sendOffsets' | 'commit' | 'abort';

interface Fault {
  at: FaultPoint;
  error: Error;
  /** For a commit: it is applied, and only the answer is lost. */
  applied: boolean;
}

export class FakeCluster {
  /** Records of committed transactions, in commit order. */
  readonly records: CommittedRecord[] = [];
  /** The group's committed offset (next to read) per ghl.raw partition. */
  readonly offsets = new Map<number, bigint>();
  readonly producers: FakeProducer[] = [];
  readonly commits: number[] = [];
  private readonly epochs = new Map<string, number>();
  private readonly faults: Fault[] = [];
  private readonly rejections: { match: (r: CommittedRecord) => boolean; error: Error }[] = [];
  private gate: Promise<void> | undefined;
  private skipMarkers: { of: 'commit' | 'abort'; topics?: string[]; offsets: boolean } | undefined;
  /** The coordinator's state per transactional.id (DescribeTransactions). */
  private readonly states = new Map<string, TransactionDescription['state']>();
  /** Records of transactions whose markers were skipped, per transactional.id and partition. */
  private readonly open = new Map<string, CommittedRecord[]>();
  /** Offsets of commits whose markers were skipped, per transactional.id: pending, not applied. */
  private readonly openOffsets = new Map<string, Map<number, bigint>>();

  /**
   * The next commit (or abort) ends its transaction without writing markers, as Kafka's
   * transaction coordinator does for partitions whose leader it cannot find (it takes them for
   * deleted): a skipped commit still answers OK. Its records stay open on their partitions and
   * its offsets pending; the next commit or abort of the same transactional.id touching a
   * partition decides what is open there, and the next one carrying offsets decides the offsets.
   * `where` narrows the skip to some topics' partitions and says whether the offsets' marker is
   * skipped too (default: every partition and the offsets).
   */
  skipNextMarkers(
    of: 'commit' | 'abort',
    where: { topics?: string[]; offsets?: boolean } = {},
  ): void {
    this.skipMarkers = { of, topics: where.topics, offsets: where.offsets ?? true };
  }

  /** DescribeTransactions: the coordinator's state of `id`, undefined when it has none. */
  describe(id: string): TransactionDescription | undefined {
    const state = this.states.get(id);
    return (
      state && { state, producerId: '1', producerEpoch: this.epochs.get(id) ?? 0, partitions: [] }
    );
  }

  /** A transaction of `id` wrote its first record or offsets. */
  began(id: string): void {
    this.states.set(id, 'Ongoing');
  }

  /** Records left open by skipped markers and not decided yet. */
  get openRecords(): CommittedRecord[] {
    return [...this.open.values()].flat();
  }

  /**
   * A transaction of `id` ends: decides what is open on the partitions it touched (those of its
   * records and `touched`, partitions added without a record), as it ends.
   */
  endTransaction(
    id: string,
    pending: CommittedRecord[],
    offsets: Map<number, bigint>,
    committed: boolean,
    touched: ReadonlySet<string> = new Set(),
    offsetsAdded = offsets.size > 0,
  ): void {
    this.states.set(id, committed ? 'CompleteCommit' : 'CompleteAbort');
    const skip =
      this.skipMarkers?.of === (committed ? 'commit' : 'abort') ? this.skipMarkers : undefined;
    if (skip) this.skipMarkers = undefined;
    const skipped = (slot: string) =>
      skip !== undefined &&
      (!skip.topics || skip.topics.includes(slot.slice(0, slot.lastIndexOf('/'))));
    for (const slot of new Set([...pending.map(slotOf), ...touched])) {
      const at = `${id}\u0000${slot}`;
      if (skipped(slot)) {
        const here = pending.filter((r) => slotOf(r) === slot);
        this.open.set(at, [...(this.open.get(at) ?? []), ...here]);
        continue;
      }
      const left = this.open.get(at);
      this.open.delete(at);
      if (committed && left) this.records.push(...left);
    }
    if (committed) this.records.push(...pending.filter((r) => !skipped(slotOf(r))));
    if (offsetsAdded) {
      if (skip?.offsets) {
        if (committed)
          this.openOffsets.set(id, new Map([...(this.openOffsets.get(id) ?? []), ...offsets]));
      } else {
        const left = this.openOffsets.get(id);
        this.openOffsets.delete(id);
        if (committed) for (const [p, o] of [...(left ?? []), ...offsets]) this.offsets.set(p, o);
      }
    }
    if (committed) this.commits.push(pending.length);
  }

  /** The next time a transaction reaches `at`, it fails with `error`. */
  failNext(at: FaultPoint, error: Error = new Error(`injected ${at} failure`), applied = false) {
    this.faults.push({ at, error, applied });
  }

  /**
   * From now on every send carrying a record that `match`es fails with `error`, as the broker
   * keeps refusing a record it rejects for good (a size over the topic's limit, INVALID_RECORD).
   */
  rejectRecords(match: (record: CommittedRecord) => boolean, error: Error): void {
    this.rejections.push({ match, error });
  }

  /** The error of the first rejection rule one of `records` matches (rejectRecords). */
  rejectionOf(records: readonly CommittedRecord[]): Error | undefined {
    return this.rejections.find(({ match }) => records.some(match))?.error;
  }

  /** Holds every commit until the returned function is called. */
  holdCommits(): () => void {
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    return () => {
      this.gate = undefined;
      open();
    };
  }

  /** `topic`'s committed records. */
  on(topic: string): CommittedRecord[] {
    return this.records.filter((r) => r.topic === topic);
  }

  /** Another instance commits offset `next` for `partition` (it took the partition meanwhile). */
  commitElsewhere(partition: number, next: bigint): void {
    this.offsets.set(partition, next);
  }

  kafka(): Pick<Kafka, 'producer'> & Kafka {
    const producer = (opts?: { transactionalId?: string }) => {
      const p = new FakeProducer(this, opts?.transactionalId ?? '');
      this.producers.push(p);
      return p as unknown as Producer;
    };
    return { producer } as unknown as Kafka;
  }

  admin(
    groupId: string,
    topic: string,
  ): Pick<Admin, 'fetchOffsets' | 'fetchTopicMetadata'> & Admin {
    const fetchOffsets = async (req: { groupId: string; topics: string[] }) => {
      if (req.groupId !== groupId || req.topics[0] !== topic) return [];
      return [
        {
          topic,
          partitions: [...this.offsets].map(([partition, offset]) => ({
            partition,
            offset: String(offset),
            metadata: null,
          })),
        },
      ];
    };
    const fetchTopicMetadata = async (req: { topics: string[] }) => ({
      topics: req.topics.map((name) => ({
        name,
        partitions: Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId })),
      })),
    });
    return { fetchOffsets, fetchTopicMetadata } as unknown as Admin;
  }

  /** The coordinator's descriptions (WorkerDeps.transactions). */
  transactions(): { describe(id: string): Promise<TransactionDescription | undefined> } {
    return { describe: async (id) => this.describe(id) };
  }

  /** A changelog reader over the committed records of `topic` (ChangelogReader.restore). */
  reader(topic: string) {
    return {
      restore: async (partition: number, marker: string, into: DedupPartition) => {
        let count = 0;
        for (const r of this.on(topic)) {
          if (r.partition !== partition) continue;
          if (r.key === marker) return count;
          if (r.key === null || r.key.startsWith('__marker__:')) continue;
          into.restore(r.key, r.value);
          count++;
        }
        throw new Error(`marker ${marker} not found`);
      },
    };
  }

  /** InitProducerId: a new epoch for `id`; older producers of it are fenced from now on. */
  initProducer(id: string): number {
    const epoch = (this.epochs.get(id) ?? 0) + 1;
    this.epochs.set(id, epoch);
    return epoch;
  }

  isCurrent(id: string, epoch: number): boolean {
    return this.epochs.get(id) === epoch;
  }

  async reach(at: FaultPoint): Promise<Fault | undefined> {
    if (at === 'commit' && this.gate) await this.gate;
    const i = this.faults.findIndex((f) => f.at === at);
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }
}
