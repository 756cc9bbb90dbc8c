// ADD_PARTITION_ONLY, a message flag of the replacement send (kafkajs-send-messages.ts): the
// flagged partitions are added to the producer's transaction without a record, next to the
// send's other messages, which are produced as usual.
import { describe, expect, it } from 'vitest';
import { ADD_PARTITION_ONLY } from '../../../services/common/src/kafka/kafkajs-send-messages.js';
import {
  CONCURRENT_TRANSACTIONS,
  createErrorFromCode,
  createRetry,
  fixedFactory,
} from './kafkajs-send-messages-setup.js';

describe('ADD_PARTITION_ONLY: partitions added to a transaction without a record', () => {
  /**
   * A one-broker cluster whose first `concurrent` AddPartitionsToTxn are answered
   * CONCURRENT_TRANSACTIONS, and a retrier allowed no retry: the send must ask again itself.
   */
  const harness = (transactional = true, concurrent = 1) => {
    const added: unknown[] = [];
    const produced: unknown[] = [];
    const retrierSaw: string[] = [];
    const broker = {
      nodeId: 1,
      async produce({
        topicData,
      }: {
        topicData: { topic: string; partitions: { partition: number }[] }[];
      }) {
        produced.push(topicData.map((t) => [t.topic, t.partitions.map((p) => p.partition)]));
        return {
          topics: topicData.map((t) => ({
            topicName: t.topic,
            partitions: t.partitions.map((p) => ({
              partition: p.partition,
              errorCode: 0,
              baseOffset: '0',
            })),
          })),
        };
      },
    };
    const deps = {
      logger: { debug: () => undefined, error: (message: string) => retrierSaw.push(message) },
      cluster: {
        refreshMetadataIfNecessary: async () => undefined,
        refreshMetadata: async () => undefined,
        addMultipleTargetTopics: async () => undefined,
        isConnected: () => true,
        findTopicPartitionMetadata: () =>
          [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1 })),
        findBroker: async () => broker,
      },
      eosManager: {
        isTransactional: () => transactional,
        getTransactionalId: () => 'tx',
        acquireBrokerLock: async () => undefined,
        releaseBrokerLock: async () => undefined,
        addPartitionsToTransaction: async (topicData: unknown) => {
          if (concurrent-- > 0) throw createErrorFromCode(CONCURRENT_TRANSACTIONS);
          added.push(topicData);
        },
        getSequence: () => 0,
        updateSequence: () => undefined,
        getProducerId: () => 1,
        getProducerEpoch: () => 0,
      },
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      retrier: createRetry({ initialRetryTime: 10, retries: 0 }),
    };
    const send = (topicMessages: object[]) =>
      fixedFactory(deps)({ acks: -1, timeout: 1000, topicMessages });
    return { added, produced, retrierSaw, send };
  };
  const only = (partition?: number) => ({ partition, value: null, [ADD_PARTITION_ONLY]: true });

  it('adds the flagged partitions and produces nothing', async () => {
    const { added, produced, send } = harness();
    const results = await send([{ topic: 'out', messages: [only(0), only(2), only(2)] }]);
    expect(added).toEqual([
      [
        {
          topic: 'out',
          partitions: [
            { partition: 0, messages: [] },
            { partition: 2, messages: [] },
          ],
        },
      ],
    ]);
    expect(produced).toEqual([]);
    expect(results).toEqual([]);
  });

  it('asks a flagged add again itself too: the retrier never sees CONCURRENT_TRANSACTIONS', async () => {
    const { added, retrierSaw, send } = harness(true, 4);
    await send([{ topic: 'out', messages: [only(1)] }]);
    expect(added).toEqual([[{ topic: 'out', partitions: [{ partition: 1, messages: [] }] }]]);
    expect(retrierSaw).toEqual([]);
  });

  it('asks AddPartitionsToTxn again itself while it is answered CONCURRENT_TRANSACTIONS, before producing', async () => {
    const { added, produced, retrierSaw, send } = harness(true, 3);
    await send([{ topic: 'out', messages: [{ key: 'k', value: 'v', partition: 2 }] }]);
    expect(added).toEqual([
      [{ topic: 'out', partitions: [expect.objectContaining({ partition: 2 })] }],
    ]);
    expect(produced).toEqual([[['out', [2]]]]);
    expect(retrierSaw).toEqual([]);
  });

  it('produces the other messages of the same send as usual', async () => {
    const { added, produced, send } = harness();
    await send([{ topic: 'out', messages: [only(1), { key: 'k', value: 'v', partition: 0 }] }]);
    expect(added[0]).toEqual([{ topic: 'out', partitions: [{ partition: 1, messages: [] }] }]);
    expect(produced).toEqual([[['out', [0]]]]);
  });

  it('refuses a flagged message without a partition, and a producer without transactions', async () => {
    await expect(harness().send([{ topic: 'out', messages: [only()] }])).rejects.toThrow(
      'needs a partition',
    );
    await expect(harness(false).send([{ topic: 'out', messages: [only(0)] }])).rejects.toThrow(
      'need a transactional producer',
    );
  });
});
