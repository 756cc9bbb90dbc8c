import { describe, expect, it } from 'vitest';
import {
  CONCURRENT_TRANSACTIONS_BACKOFF,
  concurrentTransactionsRetrier,
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

  it('gives up with the last CONCURRENT_TRANSACTIONS once 1 s has been waited, capped at 64 ms each', async () => {
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
    expect(waits.slice(0, 9)).toEqual([1, 2, 4, 8, 16, 32, 64, 64, 64]);
    expect(Math.max(...waits)).toBe(64);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(1000);
    // 127 ms for the first seven waits, thirteen of 64 ms (959 ms), then the last 41 ms.
    expect(waits.at(-1)).toBe(41);
    expect(calls).toBe(22);
  });

  it("shares one budget among a retrier's calls: a send attempted again gets no fresh second", async () => {
    const { waits, wait } = recordedWaits();
    const askAgain = concurrentTransactionsRetrier(
      { initialMs: 1, multiplier: 2, maxMs: 64, budgetMs: 10 },
      wait,
    );
    const failing = async () => {
      throw concurrent();
    };
    await expect(askAgain(failing)).rejects.toMatchObject({ type: 'CONCURRENT_TRANSACTIONS' });
    expect(waits).toEqual([1, 2, 4, 3]);
    // Spent: the next call fails at once, and another kind of call still succeeds.
    await expect(askAgain(failing)).rejects.toMatchObject({ type: 'CONCURRENT_TRANSACTIONS' });
    expect(waits).toHaveLength(4);
    await expect(askAgain(async () => 'ok')).resolves.toBe('ok');
  });

  it('starts each call of a retrier at the first wait again', async () => {
    const { waits, wait } = recordedWaits();
    const askAgain = concurrentTransactionsRetrier(CONCURRENT_TRANSACTIONS_BACKOFF, wait);
    for (let round = 0; round < 2; round++) {
      let calls = 0;
      await askAgain(async () => {
        if (++calls < 3) throw concurrent();
      });
    }
    expect(waits).toEqual([1, 2, 1, 2]);
  });

  it('really sleeps between attempts when no wait is given', async () => {
    let calls = 0;
    const started = performance.now();
    await retryConcurrentTransactions(async () => {
      if (++calls < 3) throw concurrent();
    });
    // 1 ms then 2 ms (libuv's millisecond clock may fire each up to 1 ms early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(1);
    expect(calls).toBe(3);
  });
});
