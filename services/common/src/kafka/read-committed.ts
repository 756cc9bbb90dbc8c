/**
 * The read_committed rule for one fetched partition, shared by kafkajs' replaced filter
 * (kafkajs-aborted-filter.ts) and this project's own Fetch reader (partition-fetch.ts, whose record
 * batches record-batch-decoder.ts walks).
 *
 * KIP-98: a Fetch response (v4+) lists, per partition, one `(producer_id, first_offset)` per
 * aborted transaction overlapping the fetched range, in the order their abort markers were
 * written. The Java client (CompletedFetch) sorts them by first offset and walks the record
 * batches in log order: before each batch, every aborted transaction whose first offset is <= the
 * batch's last offset becomes active (its producer id joins the aborted set); an ABORT control
 * batch of a producer ends its aborted transaction (leaves the set); a transactional data batch
 * whose producer is in the set is dropped. Non-transactional batches always pass.
 *
 * Offsets are compared exactly: numbers and BigInts compare correctly with `<=` in JavaScript.
 * Producer ids must be given in one representation per tracker (all strings or all BigInts).
 */
export class AbortedTransactions<P extends string | bigint> {
  private readonly pending: { producerId: P; firstOffset: number | bigint }[];
  private next = 0;
  private readonly aborted = new Set<P>();

  /** `list`: the Fetch response partition's aborted transactions, in any order. */
  constructor(list: readonly { producerId: P; firstOffset: number | bigint }[]) {
    this.pending = [...list].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
    );
  }

  /** Call for every batch in log order with its last offset, before the two methods below. */
  reach(lastOffset: number | bigint): void {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= lastOffset)
      this.aborted.add(this.pending[this.next++]!.producerId);
  }

  /** True when a transactional data batch of `producerId` belongs to an aborted transaction. */
  isAborted(producerId: P): boolean {
    return this.aborted.has(producerId);
  }

  /** An ABORT control batch of `producerId`: its aborted transaction ends here. */
  abortMarker(producerId: P): void {
    this.aborted.delete(producerId);
  }
}
