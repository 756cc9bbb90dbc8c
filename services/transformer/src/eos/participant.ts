import type { Admin, Kafka, Producer } from '../../../common/src/kafka/kafka-client.js';
import type { ConsumerGroupMetadata } from '../../../common/src/kafka/kafkajs-group-metadata.js';
import type { TransactionDescription } from '../../../common/src/kafka/kafkajs-describe-transactions.js';
import type { Logger } from '../../../common/src/logger.js';
import type { TopicNames } from '../../../common/src/topics.js';
import type { TransformerMetrics } from '../metrics.js';
import type { TopicLimits } from './topic-limits.js';
import type { Phases } from './transaction-metrics.js';
import type { PreparedPart, TransactionFailed } from './transaction-part.js';

/**
 * A partition worker as a participant of the instance's transactions: it hands over its next
 * records, planned, and hears how their transaction ended.
 */
export interface Participant {
  readonly partition: number;
  /**
   * True while its next part must be its transaction's only one: the broker rejected a record
   * of a transaction it shared (record-isolation.ts), or one of its own that is being isolated
   * (its part then holds one record).
   */
  readonly alone: boolean;
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
  /** No transaction could begin (`err`): drop what is queued and report it, like a failed part. */
  abandon(err: TransactionFailed): void;
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

export interface InstanceTransactionsSettings {
  groupId: string;
  /** This instance's transactional.id: unique among live instances, ideally stable across restarts. */
  transactionalId: string;
  transactionTimeoutMs: number;
  /** Records of one partition per transaction at most. */
  maxTransactionRecords: number;
  /** Pause between a commit and the next transaction (CONCURRENT_TRANSACTIONS, partition-worker.ts). */
  transactionGapMs: number;
  slowTransactionMs: number;
}

export interface InstanceTransactionsDeps {
  kafka: Pick<Kafka, 'producer'>;
  /**
   * The group's committed offsets (next to read; absent: none) of these ghl.raw partitions, read
   * with require_stable (kafkajs-stable-offsets.ts): it waits while a transaction holds offsets
   * for one of them. Throws after its own deadline.
   */
  stableOffsets(partitions: number[]): Promise<Map<number, bigint>>;
  admin: Pick<Admin, 'fetchTopicMetadata'>;
  transactions: {
    describe(transactionalId: string): Promise<TransactionDescription | undefined>;
  };
  names: TopicNames;
  limits: Pick<TopicLimits, 'limitOf'>;
  metrics: TransformerMetrics;
  logger: Logger;
  settings: InstanceTransactionsSettings;
  /** The consumer's group membership now; undefined while it is not in the group. */
  group: () => ConsumerGroupMetadata | undefined;
  /**
   * The group coordinator rejected the offsets of a transaction that carried `used`
   * (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION): that membership is stale (eos-loop.ts).
   */
  membershipRejected: (used: ConsumerGroupMetadata) => void;
}
