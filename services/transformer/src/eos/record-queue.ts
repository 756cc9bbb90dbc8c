import type { FetchedRecord } from '../../../common/src/kafka/records.js';
import type { Logger } from '../../../common/src/logger.js';
import type { TransformerMetrics } from '../metrics.js';
import type { PartitionOffsets } from './partition-offsets.js';

/** A batch kafkajs fetched for the worker's partition. */
export interface FetchedBatch {
  /** The offset kafkajs fetched from (its fetch position, not necessarily the first record's). */
  fetchedOffset: bigint;
  firstOffset: string | null;
  lastOffset: string;
  messages: FetchedRecord[];
}

/**
 * The queue of one partition worker: the records of its fetched batches that no transaction has
 * taken yet, in offset order and contiguous with the committed ones. In: the new records of each
 * batch (the worker's offsets say which, partition-offsets.ts), each with when it was fetched
 * (epoch ms, for the `fetch_wait` and `queue_wait` stages of recordStage). Out: chunks of up to
 * `max` records, or one record per transaction from the head through the offset given to
 * `isolateThrough` while a record the broker rejected is being isolated (record-isolation.ts).
 * From the head through the offset given to `aloneThrough`, the records go again whole (chunks
 * of the usual size) and, per-instance, in transactions that hold no other partition's records:
 * a record was rejected that may not have been theirs (record-isolation.ts).
 * Whoever waits for room (the consume side holds a partition's batch while more than
 * `maxQueuedRecords` records wait; eos-loop.ts) is woken as records are taken.
 */
export class RecordQueue {
  private records: FetchedRecord[] = [];
  /** When each queued record was fetched (epoch ms), for the `queue_wait` stage of recordStage. */
  readonly fetchedAt = new WeakMap<FetchedRecord, number>();
  /** While set, records up to this offset go one per transaction, to find the one rejected. */
  private isolatingThrough: bigint | undefined;
  /** While set, records up to this offset go again whole, in transactions of this partition alone. */
  private aloneUntil: bigint | undefined;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly offsets: PartitionOffsets,
    private readonly metrics: Pick<TransformerMetrics, 'recordStage'>,
    private readonly log: Logger,
  ) {}

  /** Records queued. */
  get length(): number {
    return this.records.length;
  }

  /**
   * The records of `batch` not queued before, or `seek` when kafkajs must first seek back there
   * (the batch is dropped). A fetch that started past the expected offset is logged: the offsets
   * in between are taken as unreadable records.
   */
  newRecords(batch: FetchedBatch): FetchedRecord[] | { seek: bigint } {
    const start = this.offsets.accept(batch.fetchedOffset, BigInt(batch.lastOffset));
    if ('seek' in start) return start;
    if (start.skipped)
      this.log.warn(
        {
          expected: String(start.skipped.expected),
          fetched: String(batch.fetchedOffset),
          first: batch.firstOffset,
        },
        'fetch started past the expected offset; treating the gap as unreadable records',
      );
    const from = start.from;
    return batch.messages.filter((m) => BigInt(m.offset) >= from);
  }

  /** Appends `messages` (new records, offset order, at least one), fetched now. */
  push(messages: FetchedRecord[]): void {
    this.offsets.queued((messages[0] as FetchedRecord).offset);
    const now = Date.now();
    const fetchWait = this.metrics.recordStage.labels('fetch_wait');
    for (const m of messages) {
      this.records.push(m);
      this.fetchedAt.set(m, now);
      fetchWait.observe(Math.max(0, now - Number(m.timestamp)) / 1000);
    }
  }

  /**
   * Takes the records for the next transaction from the head: up to `max`, or one while a
   * rejected record is being isolated. Wakes whoever waits for room.
   */
  take(max: number): FetchedRecord[] {
    const chunk = this.records.splice(0, this.chunkSize(max));
    this.wakeRoomWaiters();
    return chunk;
  }

  /** Puts a chunk whose transaction was aborted back at the head, before what came since. */
  putBack(chunk: FetchedRecord[]): void {
    this.records.unshift(...chunk);
  }

  /** From the head through `offset`, records go one per transaction (a record was rejected). */
  isolateThrough(offset: bigint): void {
    this.isolatingThrough = offset;
  }

  /**
   * From the head through `offset`, records go again whole and, per-instance, in transactions
   * that hold no other partition's records (one record each once `isolateThrough` says so).
   */
  aloneThrough(offset: bigint): void {
    this.aloneUntil = offset;
  }

  /** Whether the records through `offset` were given to `aloneThrough` and went again whole. */
  wentAloneThrough(offset: bigint): boolean {
    return this.aloneUntil !== undefined && offset <= this.aloneUntil;
  }

  /**
   * True while the head record must go in a transaction of this partition alone: it is one of
   * those being isolated (`isolateThrough`) or of those given to `aloneThrough`.
   */
  get alone(): boolean {
    const head = this.records[0];
    if (head === undefined) return false;
    const offset = BigInt(head.offset);
    return (
      (this.isolatingThrough !== undefined && offset <= this.isolatingThrough) ||
      (this.aloneUntil !== undefined && offset <= this.aloneUntil)
    );
  }

  /** Drops every queued record (the worker failed, was rewound or closed). */
  clear(): void {
    this.records = [];
  }

  /** Resolves at once if at most `limit` records are queued, else when woken or after `ms`. */
  waitForRoom(limit: number, ms: number): Promise<void> {
    if (this.records.length <= limit) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.roomWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves every waitForRoom in progress (records were taken, or the worker stopped). */
  wakeRoomWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /**
   * Records for the next transaction: one at a time while a rejected record is being isolated.
   * Forgets an `isolateThrough` or `aloneThrough` offset the head has passed.
   */
  private chunkSize(max: number): number {
    const head = this.records[0];
    if (!head) return max;
    const offset = BigInt(head.offset);
    if (this.aloneUntil !== undefined && offset > this.aloneUntil) this.aloneUntil = undefined;
    if (this.isolatingThrough === undefined) return max;
    if (offset <= this.isolatingThrough) return 1;
    this.isolatingThrough = undefined;
    return max;
  }
}
