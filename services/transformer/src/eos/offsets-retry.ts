import type { Transaction } from '../../../common/src/kafka/kafka-client.js';

type Offsets = Parameters<Transaction['sendOffsets']>[0];

/** CONCURRENT_TRANSACTIONS retries of AddOffsetsToTxn: 10 ms growing 1.5× up to 500 ms, 12 times. */
const OFFSETS_RETRY = { initialMs: 10, multiplier: 1.5, maxMs: 500, retries: 12 };

/**
 * `send` (a transaction's sendOffsets), retried while the transaction coordinator answers
 * CONCURRENT_TRANSACTIONS: right after the previous commit it is still writing that transaction's
 * markers. kafkajs retries AddPartitionsToTxn on it but not AddOffsetsToTxn, which used to come
 * after the produce requests had waited the markers out and now goes first, in parallel.
 */
export async function sendOffsetsRetrying(
  send: (offsets: Offsets) => Promise<void>,
  offsets: Offsets,
): Promise<void> {
  let wait = OFFSETS_RETRY.initialMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await send(offsets);
      return;
    } catch (err) {
      if (
        (err as { type?: string }).type !== 'CONCURRENT_TRANSACTIONS' ||
        attempt >= OFFSETS_RETRY.retries
      )
        throw err;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * OFFSETS_RETRY.multiplier, OFFSETS_RETRY.maxMs);
    }
  }
}
