import { TransformerError } from '../../../common/src/errors.js';
import type { FetchedRecord, TopicRecords } from '../../../common/src/kafka/records.js';
import type { Plan } from './transaction-plan.js';

/** One partition's share of a transaction: its records, their plan, the next offset, what to send. */
export interface PreparedPart {
  messages: FetchedRecord[];
  plan: Plan;
  /** The offset to commit (the last record's + 1), as a decimal string. */
  next: string;
  topicMessages: TopicRecords[];
}

/**
 * A transaction that did not commit (TRF_ERR_TRANSACTION_FAILED, retriable). `ambiguous`: it may
 * have committed; the worker must re-init. `rejectedAs`: it was aborted because the broker rejected
 * a record for good (a Kafka error type such as MESSAGE_TOO_LARGE); the worker isolates that record
 * instead of retrying the chunk.
 */
export class TransactionFailed extends TransformerError {
  constructor(
    cause: unknown,
    readonly ambiguous: boolean,
    readonly rejectedAs?: string,
  ) {
    super(
      'TRF_ERR_TRANSACTION_FAILED',
      `transaction failed: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.name = 'TransactionFailed';
  }
}
