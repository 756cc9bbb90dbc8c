// CONCURRENT_TRANSACTIONS (Kafka error 51) is not a failure: the transaction coordinator is still
// completing the previous transaction of the same transactional.id. It answers EndTxn once it has
// logged PrepareCommit (or PrepareAbort), then writes the markers to every partition of that
// transaction and only then logs CompleteCommit; until then it answers AddPartitionsToTxn,
// AddOffsetsToTxn and (Kafka 4's group coordinator) TxnOffsetCommit of the next transaction with
// CONCURRENT_TRANSACTIONS. Kafka documents this in TransactionCoordinator
// (core/src/main/scala/kafka/coordinator/transaction) and in the Java producer's TransactionManager,
// which retries a transaction's first AddPartitionsToTxn after 20 ms in this case instead of
// retry.backoff.ms (ADD_PARTITIONS_RETRY_BACKOFF_MS, "a temporary fix" for KAFKA-5482).
//
// Marker writes usually take a millisecond or two, so the retries here start at 1 ms; kafkajs'
// retrier would wait its initialRetryTime (the transformer's 10 ms, kafkajs' own default 300 ms),
// which on a steady stream of transactions was the largest part of the end-to-end p99.
// No kafkajs import: kafkajs-send-messages.ts, which loads before kafkajs, uses this module.

/** The schedule of {@link retryConcurrentTransactions}, in milliseconds. */
export interface ConcurrentTransactionsBackoff {
  /** Wait before the first retry. */
  initialMs: number;
  /** Each wait is the previous one times this, up to `maxMs`. */
  multiplier: number;
  maxMs: number;
  /** Stop retrying once the waits add up to this; the last error is thrown. */
  budgetMs: number;
}

/**
 * 1, 2, 4 … 64 ms between attempts, for at most 3 s of waiting (about 50 requests): the markers of
 * a healthy coordinator are written within the first few. A coordinator still answering
 * CONCURRENT_TRANSACTIONS after that is stuck (a partition of the previous transaction has no
 * leader); the caller's own retry and back-off take over.
 */
export const CONCURRENT_TRANSACTIONS_BACKOFF: ConcurrentTransactionsBackoff = Object.freeze({
  initialMs: 1,
  multiplier: 2,
  maxMs: 64,
  budgetMs: 3000,
});

/** The broker answered CONCURRENT_TRANSACTIONS (kafkajs sets the protocol error's `type`). */
export function isConcurrentTransactions(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { type?: unknown }).type === 'CONCURRENT_TRANSACTIONS'
  );
}

let retried = 0;

/**
 * How many times this process has asked a request again after CONCURRENT_TRANSACTIONS (a counter
 * since start, over every producer in the process; the transformer exports it as
 * transformer_concurrent_transactions_retries_total).
 */
export function concurrentTransactionsRetries(): number {
  return retried;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call` (one transactional request, e.g. AddPartitionsToTxn or sendOffsets) and runs it
 * again after `backoff`'s waits for as long as it fails with CONCURRENT_TRANSACTIONS. Resolves to
 * `call`'s result; rejects with any other error at once, and with the last CONCURRENT_TRANSACTIONS
 * error once `backoff.budgetMs` has been waited. `wait` is for tests.
 */
export async function retryConcurrentTransactions<T>(
  call: () => Promise<T>,
  backoff: ConcurrentTransactionsBackoff = CONCURRENT_TRANSACTIONS_BACKOFF,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  let next = backoff.initialMs;
  let waited = 0;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!isConcurrentTransactions(err) || waited >= backoff.budgetMs) throw err;
      const ms = Math.min(next, backoff.budgetMs - waited);
      retried++;
      await wait(ms);
      waited += ms;
      next = Math.min(next * backoff.multiplier, backoff.maxMs);
    }
  }
}
