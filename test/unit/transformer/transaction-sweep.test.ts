import { describe, expect, it } from 'vitest';
import { ADD_PARTITION_ONLY } from '../../../services/common/src/kafka/kafkajs-send-messages.js';
import type { TransactionDescription } from '../../../services/common/src/kafka/kafkajs-describe-transactions.js';
import {
  sweepDecisionOf,
  sweepOpenTransactions,
} from '../../../services/transformer/src/eos/transaction-sweep.js';

const recorder = (fail?: Error) => {
  const calls: unknown[] = [];
  const producer = {
    transaction: async () => ({
      sendBatch: async (req: unknown) => {
        if (fail) throw fail;
        calls.push(req);
      },
      sendOffsets: async (req: unknown) => void calls.push(req),
      abort: async () => void calls.push('abort'),
      commit: async () => void calls.push('commit'),
    }),
  };
  return { calls, producer: producer as never };
};

const added = (partition: number) => ({ partition, value: null, [ADD_PARTITION_ONLY]: true });

describe('sweepOpenTransactions', () => {
  it('adds each target partition without a record in one transaction and aborts it', async () => {
    const { calls, producer } = recorder();
    await sweepOpenTransactions(
      producer,
      [
        { topic: 'out', partitions: [0, 1, 2] },
        { topic: 'none', partitions: [] },
        { topic: 'dedup', partitions: [1] },
      ],
      'abort',
      'group',
    );
    expect(calls).toEqual([
      {
        acks: -1,
        topicMessages: [
          { topic: 'out', messages: [0, 1, 2].map(added) },
          { topic: 'dedup', messages: [added(1)] },
        ],
      },
      { consumerGroupId: 'group', topics: [] },
      'abort',
    ]);
  });

  it('commits instead when the decision is commit', async () => {
    const { calls, producer } = recorder();
    await sweepOpenTransactions(producer, [{ topic: 'out', partitions: [2] }], 'commit', 'group');
    expect(calls).toEqual([
      { acks: -1, topicMessages: [{ topic: 'out', messages: [added(2)] }] },
      { consumerGroupId: 'group', topics: [] },
      'commit',
    ]);
  });

  it('with no partitions it still fences and decides the pending offsets', async () => {
    const { calls, producer } = recorder();
    await sweepOpenTransactions(producer, [], 'abort', 'group');
    expect(calls).toEqual([{ consumerGroupId: 'group', topics: [] }, 'abort']);
  });

  it('aborts and rethrows when adding the partitions fails, whatever the decision', async () => {
    const { calls, producer } = recorder(new Error('CONCURRENT_TRANSACTIONS'));
    await expect(
      sweepOpenTransactions(producer, [{ topic: 'out', partitions: [0] }], 'commit', 'group'),
    ).rejects.toThrow('CONCURRENT_TRANSACTIONS');
    expect(calls).toEqual(['abort']);
  });
});

describe('sweepDecisionOf', () => {
  const of = (state: TransactionDescription['state']) =>
    sweepDecisionOf({ state, producerId: '7', producerEpoch: 3, partitions: [] });

  it('commits after a transaction the coordinator decided to commit', () => {
    expect(of('PrepareCommit')).toBe('commit');
    expect(of('CompleteCommit')).toBe('commit');
  });

  it('aborts after anything else, and when the coordinator has no state', () => {
    for (const state of [
      'Ongoing',
      'PrepareAbort',
      'CompleteAbort',
      'PrepareEpochFence',
      'Empty',
      'Dead',
    ] as const)
      expect(of(state)).toBe('abort');
    expect(sweepDecisionOf(undefined)).toBe('abort');
  });
});
