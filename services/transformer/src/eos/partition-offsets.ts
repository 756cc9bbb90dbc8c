/**
 * Where a fetched batch leaves its partition: kafkajs must seek back to `seek` first (the batch is
 * dropped), or the records from `from` on are new (`skipped`: the fetch started past the expected
 * offset, so the offsets in between held nothing readable).
 */
export type BatchStart = { seek: bigint } | { from: bigint; skipped?: { expected: bigint } };

/**
 * The offset bookkeeping of one partition worker: what is committed, where the next fetched batch
 * must start, and where to rewind to after a failure. The worker owns one and hands it to its
 * queue, which asks it which records of a batch are new (`accept`, `queued`; record-queue.ts),
 * and to its transaction runner, which reports takeovers and commits to it (`tookOver`,
 * `committedThrough`); everything else goes through the worker's methods, and only this class
 * does offset arithmetic.
 */
export class PartitionOffsets {
  /** Next offset to process as committed by the last transaction (-1n: nothing committed yet). */
  private committed = -1n;
  /** Set when the group rebalanced while this worker kept the partition: re-check ownership. */
  private recheck = false;
  /** Offset the next accepted kafkajs batch must start at; undefined until the first batch. */
  private nextExpected: bigint | undefined;
  /** The first offset this worker queued: where to rewind to while nothing is committed. */
  private firstAccepted: bigint | undefined;

  get committedNext(): bigint {
    return this.committed;
  }

  /** After a takeover: `committed` is the group's committed offset, read after the fence. */
  tookOver(committed: bigint): void {
    this.committed = committed;
    this.recheck = false;
  }

  /** A transaction committed the records before `next`. */
  committedThrough(next: bigint): void {
    this.committed = next;
  }

  markRebalanced(): void {
    this.recheck = true;
  }

  get rebalanced(): boolean {
    return this.recheck;
  }

  /**
   * After a rebalance: the state is still exact only if nobody committed meanwhile, i.e. the
   * group's committed offset is still ours. True (and the re-check done) when it is.
   */
  confirm(groupCommitted: bigint): boolean {
    if (groupCommitted !== this.committed) return false;
    this.recheck = false;
    return true;
  }

  /** A batch kafkajs fetched from `fetched` through `last`: where its new records start. */
  accept(fetched: bigint, last: bigint): BatchStart {
    let from = this.nextExpected;
    let skipped: { expected: bigint } | undefined;
    if (from === undefined) {
      const start = this.committed >= 0n ? this.committed : fetched;
      if (fetched > start) {
        // kafkajs ran ahead of what is committed (a previous worker queued and then failed).
        this.nextExpected = start;
        return { seek: start };
      }
      from = start;
    }
    // A fetch that starts past `from` skipped only offsets with nothing readable (transaction
    // markers, aborted records); one that starts before it repeats records already queued.
    if (fetched > from) {
      skipped = { expected: from };
      from = fetched;
    }
    // After a rejoin kafkajs fetches again from the committed offset; a batch that ends inside
    // what is already queued moves kafkajs on but must not move our expectation back.
    const end = last + 1n;
    this.nextExpected = end > from ? end : from;
    return skipped ? { from, skipped } : { from };
  }

  /** Records from `offset` on were queued (only the first call counts). */
  queued(offset: string): void {
    this.firstAccepted ??= BigInt(offset);
  }

  /** True once a batch set where the next one must start; false before and after a rewind to nowhere. */
  get positioned(): boolean {
    return this.nextExpected !== undefined;
  }

  /** Where to rewind kafkajs to after a failure: the committed offset, or where this worker began. */
  rewindTarget(): bigint | undefined {
    return this.committed >= 0n ? this.committed : this.firstAccepted;
  }

  /** kafkajs will deliver again from `offset` (undefined: from wherever it starts). */
  rewound(offset: bigint | undefined): void {
    this.nextExpected = offset;
  }
}
