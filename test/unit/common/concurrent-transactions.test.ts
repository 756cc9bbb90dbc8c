import { describe, expect, it } from 'vitest';
import {
  CONCURRENT_TRANSACTIONS_BACKOFF,
  isConcurrentTransactions,
  retryConcurrentTransactions,
} from '../../../services/common/src/kafka/concurrent-transactions.js';
import { createErrorFromCode } from './kafkajs-send-messages-setup.js';

/** kafkajs' own error for code 51, as AddPartitionsToTxn or TxnOffsetCommit reject with it. */
const concurrent = () => createErrorFromCode(51);

/** A `wait` that records the delays and does not sleep. */
function recordedWaits() {
  const waits: number[] = [];
  return { waits, wait: async (ms: number) => void waits.push(ms) };
}

describe('retryConcurrentTransactions', () => {
  it("recognises kafkajs' CONCURRENT_TRANSACTIONS error and nothing else", () => {
    expect(isConcurrentTransactions(concurrent())).toBe(true);
    expect(isConcurrentTransactions(createErrorFromCode(47))).toBe(false); // INVALID_PRODUCER_EPOCH
    expect(isConcurrentTransactions(new Error('CONCURRENT_TRANSACTIONS'))).toBe(false);
    expect(isConcurrentTransactions(undefined)).toBe(false);
  });

  it('asks again after 1, 2, 4 ms while the coordinator answers CONCURRENT_TRANSACTIONS', async () => {
    const { waits, wait } = recordedWaits();
    let calls = 0;
    const result = await retryConcurrentTransactions(
      async () => {
        if (++calls < 4) throw concurrent();
        return 'added';
      },
      CONCURRENT_TRANSACTIONS_BACKOFF,
      wait,
    );
    expect(result).toBe('added');
    expect(calls).toBe(4);
    expect(waits).toEqual([1, 2, 4]);
  });

  it('fails at once on any other error', async () => {
    const { waits, wait } = recordedWaits();
    const fenced = createErrorFromCode(47);
    let calls = 0;
    await expect(
      retryConcurrentTransactions(
        async () => {
          calls++;
          throw fenced;
        },
        CONCURRENT_TRANSACTIONS_BACKOFF,
        wait,
      ),
    ).rejects.toBe(fenced);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('gives up with the last CONCURRENT_TRANSACTIONS once 3 s have been waited, capped at 64 ms each', async () => {
    const { waits, wait } = recordedWaits();
    let calls = 0;
    let last: Error | undefined;
    await expect(
      retryConcurrentTransactions(
        async () => {
          calls++;
          throw (last = concurrent());
        },
        CONCURRENT_TRANSACTIONS_BACKOFF,
        wait,
      ),
    ).rejects.toSatisfy((err) => err === last);
    expect(waits.slice(0, 8)).toEqual([1, 2, 4, 8, 16, 32, 64, 64]);
    expect(Math.max(...waits)).toBe(64);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(3000);
    // 63 ms for the first six waits, then 64 ms waits up to the 3,000 ms budget (the last shorter).
    expect(calls).toBe(waits.length + 1);
    expect(calls).toBe(53);
  });

  it('really sleeps between attempts when no wait is given', async () => {
    let calls = 0;
    const started = performance.now();
    await retryConcurrentTransactions(async () => {
      if (++calls < 3) throw concurrent();
    });
    // 1 ms then 2 ms; timers fire no earlier than asked.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2.5);
    expect(calls).toBe(3);
  });
});
