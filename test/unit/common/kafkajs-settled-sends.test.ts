// Regression: on a 3-broker cluster the transformer wrote outputs twice (751 of 6,000 event IDs,
// no fault injected) because kafkajs retried a send while another broker's request of the same
// attempt was still in flight, and then sent that request again. A scripted cluster of two
// leader brokers (the fault a real one produces only by chance) drives kafkajs' own producer
// send path: one broker fails at once with a retriable error, the other answers slowly.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  positiveThrottleTimerActive,
  settledSendsActive,
} from '../../../services/common/src/kafkajs.js';
import { SEND_MESSAGES_MODULE } from '../../../services/common/src/kafkajs-settled-sends.js';
import { evaluateModule } from '../../../services/common/src/kafkajs-source-patch.js';

const require = createRequire(import.meta.url);
type SendFactory = (deps: object) => (args: object) => Promise<unknown[]>;
const fixedFactory = require(SEND_MESSAGES_MODULE) as SendFactory & { settledSends?: boolean };

/** kafkajs' original module, compiled from its file (the cache holds the fixed one). */
function originalFactory(): SendFactory {
  return evaluateModule(require.resolve(SEND_MESSAGES_MODULE)) as SendFactory;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode: (code: number) => Error;
};
const createRetry = require('kafkajs/src/retry/index.js') as (o: object) => unknown;
const CONCURRENT_TRANSACTIONS = 51;

/** Two partitions of topic `t`, led by brokers 1 and 2; counts what each broker appended. */
function scriptedCluster() {
  const appended = { 1: 0, 2: 0 } as Record<number, number>;
  let failuresLeft = 1;
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: { topicData: { partitions: { messages: unknown[] }[] }[] }) {
      if (nodeId === 2 && failuresLeft-- > 0) throw createErrorFromCode(CONCURRENT_TRANSACTIONS);
      if (nodeId === 1) await sleep(60); // still in flight when broker 2's failure comes back
      const records = topicData.flatMap((t) => t.partitions.flatMap((p) => p.messages)).length;
      appended[nodeId] = (appended[nodeId] ?? 0) + records;
      return {
        topics: topicData.map(() => ({
          topicName: 't',
          partitions: [{ partition: nodeId - 1, errorCode: 0, baseOffset: '0' }],
        })),
      };
    },
  });
  const brokers = { 1: broker(1), 2: broker(2) } as Record<number, ReturnType<typeof broker>>;
  const cluster = {
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => undefined,
    addMultipleTargetTopics: async () => undefined,
    isConnected: () => true,
    findTopicPartitionMetadata: () => [
      { partitionId: 0, leader: 1 },
      { partitionId: 1, leader: 2 },
    ],
    findLeaderForPartitions: (_t: string, partitions: string[]) => {
      const byLeader: Record<string, number[]> = {};
      for (const p of partitions.map(Number)) (byLeader[String(p + 1)] ??= []).push(p);
      return byLeader;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokers[Number(nodeId)],
  };
  const sequences = new Map<string, number>();
  const eosManager = {
    isTransactional: () => false,
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    getSequence: (t: string, p: number) => sequences.get(`${t}${p}`) ?? 0,
    updateSequence: (t: string, p: number, n: number) =>
      sequences.set(`${t}${p}`, (sequences.get(`${t}${p}`) ?? 0) + n),
    getProducerId: () => -1,
    getProducerEpoch: () => 0,
  };
  const logger = { debug: () => undefined, error: () => undefined };
  const deps = {
    logger,
    cluster,
    eosManager,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    retrier: createRetry({ initialRetryTime: 10, retries: 3 }),
  };
  const send = (factory: SendFactory) =>
    factory(deps)({
      acks: -1,
      timeout: 1000,
      topicMessages: [
        {
          topic: 't',
          messages: [
            { key: 'a', value: 'a', partition: 0 },
            { key: 'b', value: 'b', partition: 1 },
          ],
        },
      ],
    });
  return { appended, send };
}

describe("kafkajs' producer send across several leader brokers", () => {
  it('is the fixed module, installed before kafkajs loads', () => {
    expect(settledSendsActive).toBe(true);
    // The sibling patch: kafkajs' request-queue timer is never scheduled with a negative delay.
    expect(positiveThrottleTimerActive).toBe(true);
    expect(fixedFactory.settledSends).toBe(true);
  });

  it('resends only the request that failed: each broker appends its records once', async () => {
    const { appended, send } = scriptedCluster();
    await send(fixedFactory);
    expect(appended).toEqual({ 1: 1, 2: 1 });
  });

  it("(the original resends the slow broker's request too: its record is appended twice)", async () => {
    const { appended, send } = scriptedCluster();
    await send(originalFactory());
    expect(appended).toEqual({ 1: 2, 2: 1 });
  });
});
