import type { Producer } from '../../../common/src/kafka/kafka-client.js';
import type { Phases } from './transaction-metrics.js';
import type { PreparedPart, TransactionFailed } from './transaction-part.js';

/**
 * A partition worker as a participant of the instance's transactions: it hands over its next
 * records, planned, and hears how their transaction ended.
 */
export interface Participant {
  readonly partition: number;
  /** True while a record the broker rejected is being isolated: its records go alone, one each. */
  readonly isolating: boolean;
  /**
   * After this instance's producer was replaced (fence and sweep): `committed` is the group's
   * committed offset for the partition now. A participant whose own differs must not go on
   * with its state (the sweep aborted a commit Kafka had not finished; docs/exactly-once.md).
   */
  verifyCommitted(committed: bigint): void;
  /** Records queued and ready to be taken (0 while held, failed, closed or taking over). */
  readonly ready: number;
  /** Takes and plans up to `max` records; undefined when it has none (or planning failed). */
  takePart(max: number, now: number): PreparedPart | undefined;
  /** The part's transaction committed; `started`: when it was planned (epoch ms). */
  partCommitted(part: PreparedPart, started: number, phases: Phases): void;
  /**
   * The part's transaction did not commit. `alone`: the part was the transaction's only one, so a
   * record the broker rejected (err.rejectedAs) was one of its own.
   */
  partFailed(part: PreparedPart, err: TransactionFailed, alone: boolean): void;
}

/**
 * What a partition worker and its takeover use of the instance's transactions
 * (instance-transactions.ts).
 */
export interface SharedTransactions {
  add(p: Participant): void;
  remove(p: Participant): void;
  /** Records were queued (or a hold released): run a round soon. */
  wake(): void;
  /** Runs `fn` with the ready producer while no round runs; a throw makes the producer stale. */
  exclusive<T>(fn: (producer: Producer) => Promise<T>): Promise<T>;
  /** Resolves once no transaction of this instance is open or in doubt. */
  settle(): Promise<void>;
  /** Resolves once the round in flight, if any, has ended. */
  idle(): Promise<void>;
  /** The group's committed offset for a ghl.raw partition, read with require_stable (-1n: none). */
  fetchStable(partition: number): Promise<bigint>;
  close(): Promise<void>;
}
