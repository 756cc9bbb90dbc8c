// Regressions of kafkajs' producer send on a replicated cluster, where one send spans partitions
// led by several brokers. Measured with the Java verifier on a 3-node cluster: outputs written
// twice (751 of 6,000 event IDs, no fault injected) and, after a rolling restart, a committed
// transaction missing 6 of its 17 outputs and webhooks answered 200 that never reached ghl.raw.
// A scripted cluster (the faults a real one produces only by chance) drives the send path:
// kafkajs' original module next to the replacement installed by services/common/src/kafka/kafkajs.ts.
// ADD_PARTITION_ONLY (partitions added to a transaction without a record) is in
// kafkajs-send-messages-partitions.test.ts.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  positiveThrottleTimerActive,
  sendMessagesActive,
} from '../../../services/common/src/kafka/kafkajs.js';
import { SEND_MESSAGES_MODULE } from '../../../services/common/src/kafka/kafkajs-send-messages-install.js';
import { evaluateModule } from '../../../services/common/src/kafka/kafkajs-source-patch.js';
import {
  CONCURRENT_TRANSACTIONS,
  createErrorFromCode,
  createRetry,
  fixedFactory,
  type SendFactory,
} from './kafkajs-send-messages-setup.js';

const require = createRequire(import.meta.url);

/** kafkajs' original module, compiled from its file (the cache holds the replacement). */
function originalFactory(): SendFactory {
  return evaluateModule(require.resolve(SEND_MESSAGES_MODULE)) as SendFactory;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const NOT_LEADER_FOR_PARTITION = 6;

interface Script {
  /** Leader per partition of topic `t` (-1: none), before and after a metadata refresh. */
  leaders: number[];
  leadersAfterRefresh?: number[];
  /** Errors a broker answers its first produce requests with, in order. */
  failures?: Record<number, number[]>;
  /** ms a broker takes to answer. */
  delays?: Record<number, number>;
  partitions: number[];
}

/** Brokers 1-3 leading partitions of topic `t`; counts each (broker, partition) append. */
function scriptedCluster(script: Script) {
  const appended = new Map<string, number>();
  let leaders = script.leaders;
  const failures = Object.fromEntries(
    Object.entries(script.failures ?? {}).map(([b, codes]) => [b, [...codes]]),
  ) as Record<number, number[]>;
  type TopicData = { topic: string; partitions: { partition: number; messages: unknown[] }[] }[];
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: { topicData: TopicData }) {
      const code = failures[nodeId]?.shift();
      if (code !== undefined) throw createErrorFromCode(code);
      await sleep(script.delays?.[nodeId] ?? 0);
      for (const t of topicData)
        for (const p of t.partitions) {
          const key = `broker ${nodeId} partition ${p.partition}`;
          appended.set(key, (appended.get(key) ?? 0) + p.messages.length);
        }
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
  });
  const brokers = new Map([1, 2, 3].map((id) => [id, broker(id)]));
  const metadata = () =>
    leaders.map((leader, partitionId) => ({ partitionId, leader })).filter((m) => m.leader !== -2);
  const cluster = {
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => {
      leaders = script.leadersAfterRefresh ?? leaders;
    },
    addMultipleTargetTopics: async () => undefined,
    isConnected: () => true,
    findTopicPartitionMetadata: () => metadata(),
    // kafkajs' own rule (src/cluster/index.js): a partition missing from the metadata is skipped.
    findLeaderForPartitions: (_t: string, partitions: string[]) => {
      const byLeader: Record<string, number[]> = {};
      for (const p of partitions.map(Number)) {
        const m = metadata().find((x) => x.partitionId === p);
        if (m) (byLeader[String(m.leader)] ??= []).push(p);
      }
      return byLeader;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => {
      const b = brokers.get(Number(nodeId));
      if (!b) throw new Error(`no broker ${nodeId}`);
      return b;
    },
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
  const deps = {
    logger: { debug: () => undefined, error: () => undefined },
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
          messages: script.partitions.map((partition) => ({
            key: `k${partition}`,
            value: 'v',
            partition,
          })),
        },
      ],
    });
  return { appended, send };
}

describe("kafkajs' producer send across several leader brokers", () => {
  it('is the replacement, installed before kafkajs loads', () => {
    expect(sendMessagesActive).toBe(true);
    expect(fixedFactory.perPartitionSends).toBe(true);
    // The sibling patch: kafkajs' request-queue timer is never scheduled with a negative delay.
    expect(positiveThrottleTimerActive).toBe(true);
  });

  describe('one broker fails at once while another is still answering', () => {
    const script: Script = {
      leaders: [1, 2],
      partitions: [0, 1],
      failures: { 2: [CONCURRENT_TRANSACTIONS] },
      delays: { 1: 60 },
    };

    it('resends only the request that failed: each partition is appended once', async () => {
      const { appended, send } = scriptedCluster(script);
      await send(fixedFactory);
      expect(Object.fromEntries(appended)).toEqual({
        'broker 1 partition 0': 1,
        'broker 2 partition 1': 1,
      });
    });

    it("(the original resends the slow broker's request too: appended twice)", async () => {
      const { appended, send } = scriptedCluster(script);
      await send(originalFactory());
      expect(appended.get('broker 1 partition 0')).toBe(2);
    });
  });

  describe("a partition's leader moves to a broker that already answered", () => {
    // Partition 0 was led by broker 1, which answers NOT_LEADER (a rolling restart moved it);
    // after the metadata refresh broker 2 leads both partitions and has answered for partition 1.
    const script: Script = {
      leaders: [1, 2],
      leadersAfterRefresh: [2, 2],
      partitions: [0, 1],
      failures: { 1: [NOT_LEADER_FOR_PARTITION] },
    };

    it('sends the moved partition to its new leader and reports both partitions', async () => {
      const { appended, send } = scriptedCluster(script);
      const results = await send(fixedFactory);
      expect(Object.fromEntries(appended)).toEqual({
        'broker 2 partition 0': 1,
        'broker 2 partition 1': 1,
      });
      expect(results.map((r) => r.partition)).toEqual([0, 1]);
    });

    it('(the original never sends partition 0 and resolves as if it had)', async () => {
      const { appended, send } = scriptedCluster(script);
      const results = await send(originalFactory());
      expect(Object.fromEntries(appended)).toEqual({ 'broker 2 partition 1': 1 });
      expect(results.map((r) => r.partition)).toEqual([1]);
    });
  });

  describe('a partition missing from stale metadata', () => {
    // -2 marks "not in the metadata": partition 2 appears only after the refresh.
    const script: Script = {
      leaders: [1, 2, -2],
      leadersAfterRefresh: [1, 2, 3],
      partitions: [0, 1, 2],
    };

    it('refreshes the metadata and sends it, instead of skipping it', async () => {
      const { appended, send } = scriptedCluster(script);
      await send(fixedFactory);
      expect(Object.fromEntries(appended)).toEqual({
        'broker 1 partition 0': 1,
        'broker 2 partition 1': 1,
        'broker 3 partition 2': 1,
      });
    });

    it('(the original skips it without an error)', async () => {
      const { appended, send } = scriptedCluster(script);
      await send(originalFactory());
      expect(appended.has('broker 3 partition 2')).toBe(false);
    });

    it('fails the send when the partition never gets a leader', async () => {
      const { appended, send } = scriptedCluster({ ...script, leadersAfterRefresh: [1, 2, -1] });
      await expect(send(fixedFactory)).rejects.toThrow(/leader/i);
      // What had a leader was written once, whatever the number of retries.
      expect(Object.fromEntries(appended)).toEqual({
        'broker 1 partition 0': 1,
        'broker 2 partition 1': 1,
      });
    });
  });
});
