import { describe, expect, it } from 'vitest';
import {
  SWEEP_KEY,
  sweepOpenTransactions,
} from '../../../services/transformer/src/eos/abort-sweep.js';

const recorder = (fail?: Error) => {
  const calls: unknown[] = [];
  const producer = {
    transaction: async () => ({
      sendBatch: async (req: unknown) => {
        if (fail) throw fail;
        calls.push(req);
      },
      abort: async () => void calls.push('abort'),
      commit: async () => void calls.push('commit'),
    }),
  };
  return { calls, producer: producer as never };
};

describe('sweepOpenTransactions', () => {
  it('sends one keyed record without a value to each target partition in one transaction and aborts it', async () => {
    const { calls, producer } = recorder();
    await sweepOpenTransactions(producer, [
      { topic: 'out', partitions: [0, 1, 2] },
      { topic: 'none', partitions: [] },
      { topic: 'dedup', partitions: [1] },
    ]);
    expect(calls).toEqual([
      {
        acks: -1,
        topicMessages: [
          {
            topic: 'out',
            messages: [0, 1, 2].map((partition) => ({ key: SWEEP_KEY, value: null, partition })),
          },
          { topic: 'dedup', messages: [{ key: SWEEP_KEY, value: null, partition: 1 }] },
        ],
      },
      'abort',
    ]);
  });

  it('with no partitions it still fences (an empty transaction, aborted)', async () => {
    const { calls, producer } = recorder();
    await sweepOpenTransactions(producer, []);
    expect(calls).toEqual(['abort']);
  });

  it('aborts and rethrows when the send fails', async () => {
    const { calls, producer } = recorder(new Error('NOT_LEADER_OR_FOLLOWER'));
    await expect(
      sweepOpenTransactions(producer, [{ topic: 'out', partitions: [0] }]),
    ).rejects.toThrow('NOT_LEADER_OR_FOLLOWER');
    expect(calls).toEqual(['abort']);
  });
});
