// CONCURRENT_TRANSACTIONS (Kafka error 51) is not a failure: the transaction coordinator is busy
// with another state change of the same transactional.id, and the request will succeed once that
// is logged. Two cases meet it:
// 1. The previous transaction is still completing. The coordinator answers EndTxn once it has
//    logged PrepareCommit (or PrepareAbort), then writes the markers to every partition of that
//    transaction and only then logs CompleteCommit; until then it answers the next transaction's
//    AddPartitionsToTxn, AddOffsetsToTxn and (Kafka 4's group coordinator) TxnOffsetCommit so.
// 2. Another add of the same transaction is being logged: the transformer sends AddOffsetsToTxn
//    while the produce path sends AddPartitionsToTxn, and one send to several leaders sends one
//    AddPartitionsToTxn per leader at once.
// See Kafka's TransactionCoordinator (core/src/main/scala/kafka/coordinator/transaction), and the
// Java producer's TransactionManager, which retries a transaction's first AddPartitionsToTxn
// after 20 ms in case 1 instead of retry.backoff.ms (ADD_PARTITIONS_RETRY_BACKOFF_MS, "a
// temporary fix" for KAFKA-5482).
//
// Either wait is a millisecond or two, so the retries here start at 1 ms; kafkajs' retrier would
// wait its initialRetryTime (the transformer's 10 ms, createKafka's 100 ms, kafkajs' own 300 ms)
// and does not retry AddOffsetsToTxn at all.
// No kafkajs import: kafkajs-send-messages.ts, which loads before kafkajs, uses this module.

/** The schedule of {@link concurrentTransactionsRetrier}, in milliseconds. */
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
 * 1, 2, 4 … 64 ms between attempts, for at most 1 s of waiting (about 20 requests): the markers of
 * a healthy coordinator are written within the first few. A coordinator still answering
 * CONCURRENT_TRANSACTIONS after that is stuck (a partition of the previous transaction has no
 * leader); the caller's own retry and back-off take over.
 */
export const CONCURRENT_TRANSACTIONS_BACKOFF: ConcurrentTransactionsBackoff = Object.freeze({
  initialMs: 1,
  multiplier: 2,
  maxMs: 64,
  budgetMs: 1000,
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
 * A function that runs `call` (one transactional request, e.g. AddPartitionsToTxn or sendOffsets)
 * and runs it again after `backoff`'s waits for as long as it fails with CONCURRENT_TRANSACTIONS.
 * It resolves to `call`'s result; rejects with any other error at once, and with the last
 * CONCURRENT_TRANSACTIONS error once `backoff.budgetMs` has been waited. The budget is shared by
 * every call of the returned function: a send that kafkajs' retrier attempts again gets one budget
 * in all, not one per attempt, so a stuck coordinator delays it by at most `budgetMs` more than
 * the retrier alone would. Each call starts again at `initialMs`. `wait` is for tests.
 */
export function concurrentTransactionsRetrier(
  backoff: ConcurrentTransactionsBackoff = CONCURRENT_TRANSACTIONS_BACKOFF,
  wait: (ms: number) => Promise<void> = sleep,
): <T>(call: () => Promise<T>) => Promise<T> {
  let waited = 0;
  return async (call) => {
    let next = backoff.initialMs;
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
  };
}

/** `call` through a {@link concurrentTransactionsRetrier} of its own (one budget for this call). */
export function retryConcurrentTransactions<T>(
  call: () => Promise<T>,
  backoff: ConcurrentTransactionsBackoff = CONCURRENT_TRANSACTIONS_BACKOFF,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  return concurrentTransactionsRetrier(backoff, wait)(call);
}
