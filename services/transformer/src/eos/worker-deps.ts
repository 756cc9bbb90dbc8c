import type { Admin, Kafka } from '../../../common/src/kafka/kafka-client.js';
import type { TransactionDescription } from '../../../common/src/kafka/kafkajs-describe-transactions.js';
import type { Logger } from '../../../common/src/logger.js';
import type { TopicNames } from '../../../common/src/topics.js';
import type { ChangelogReader } from './changelog-reader.js';
import type { SharedTransactions } from './participant.js';
import type { TransformerMetrics } from '../metrics.js';
import type { RecordTracing } from './record-tracing.js';
import type { TopicLimits } from './topic-limits.js';
import type { Encoder } from './transaction-plan.js';
import type { Decision, RawRecord, TransformContext } from '../mapping/transform-types.js';

export interface WorkerSettings {
  groupId: string;
  dedupWindowMs: number;
  transactionTimeoutMs: number;
  restoreTimeoutMs: number;
  /** Attempts for a record whose processing throws something unclassified, before retries_exhausted. */
  maxRecordAttempts: number;
  /** Tombstones for expired dedup keys written per transaction at most. */
  expirySweepLimit: number;
  /** Records per transaction at most. */
  maxTransactionRecords: number;
  /** Pause between a commit and the next transaction of the same producer (see the worker's pump). */
  transactionGapMs: number;
  /** A transaction slower than this is logged with the time each phase ended. */
  slowTransactionMs: number;
}

/** What a partition worker is built with (the loop adds `onCommitted`). */
export interface WorkerDeps {
  kafka: Pick<Kafka, 'producer'>;
  admin: Pick<Admin, 'fetchOffsets' | 'fetchTopicMetadata'>;
  /** The transaction coordinator's view of a transactional.id (kafkajs-describe-transactions.ts). */
  transactions: {
    describe(transactionalId: string): Promise<TransactionDescription | undefined>;
  };
  names: TopicNames;
  reader: Pick<ChangelogReader, 'restore'>;
  encoder: Encoder;
  context: TransformContext;
  transform: (raw: RawRecord, ctx: TransformContext) => Decision;
  metrics: TransformerMetrics;
  logger: Logger;
  settings: WorkerSettings;
  /** max.message.bytes of the output, DLQ and changelog topics. */
  limits: Pick<
    TopicLimits,
    'limitOf' | 'fits' | 'current' | 'refresh' | 'readingsStarted' | 'readSince'
  >;
  /** Called after each committed transaction (the loop resets the partition's backoff). */
  onCommitted?: (partition: number) => void;
  /**
   * Per-instance transactions (instance-transactions.ts): one producer and one transaction for
   * all partitions, fenced by the group generation. Absent: one producer per partition.
   */
  shared?: SharedTransactions;
  /** A span per record (record-tracing.ts); absent when tracing is off. */
  tracing?: RecordTracing;
}
