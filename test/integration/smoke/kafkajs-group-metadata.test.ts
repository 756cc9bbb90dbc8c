// KIP-447 on kafkajs against the real broker (services/common/src/kafka/kafkajs-group-metadata.ts):
// TxnOffsetCommit v3 with the consumer group's generation and member id is accepted for the
// current generation and rejected for a stale one or an unknown member; OffsetFetch v7 with
// require_stable answers UNSTABLE_OFFSET_COMMIT while a transaction holds offsets, and the new
// offset once it commits, where kafkajs' own OffsetFetch (v4) already answers the old one.
import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchStableOffsets,
  sendOffsetsToTransaction,
  type ConsumerGroupMetadata,
} from '../../../services/common/src/kafka/kafkajs-group-metadata.js';
import { retryConcurrentTransactions } from '../../../services/common/src/kafka/concurrent-transactions.js';
import { txnOffsetCommitV3Active } from '../../../services/common/src/kafka/kafkajs.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { sleep, testKafka, uniquePrefix } from '../../helpers/integration.js';

describe('consumer group metadata in transactions (KIP-447)', () => {
  const kafka = testKafka('group-metadata');
  const admin = kafka.admin();
  const prefix = uniquePrefix('kip447');
  const input = `${prefix}in`;
  const groupId = `${prefix}group`;
  const consumers: Consumer[] = [];
  const producers: Producer[] = [];
  /** Every GROUP_JOIN seen, per consumer index. */
  const joins: { generationId: unknown; memberId: string }[][] = [];

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic: input, numPartitions: 2 }]);
    // Records up to every offset committed below: kafkajs' consumer resets an offset past the log
    // end to its default and commits that (-2) by itself, which would hide what is tested here.
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({
      topic: input,
      messages: Array.from({ length: 20 }, (_, i) => ({ value: String(i), partition: 0 })),
    });
    await plain.disconnect();
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [input] }).catch(() => undefined);
    await admin.disconnect();
  });

  /** A member of the group that never commits by itself; resolves once it joined. */
  async function join(): Promise<number> {
    const index = consumers.length;
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
    consumers.push(consumer);
    joins.push([]);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      joins[index]?.push({
        generationId: (payload as unknown as { generationId: unknown }).generationId,
        memberId: payload.memberId,
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
    await until(() => (joins[index]?.length ?? 0) > 0, 'the consumer joins');
    return index;
  }

  async function until(done: () => boolean, what: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await sleep(50);
    }
  }

  const lastJoin = (index: number): ConsumerGroupMetadata => {
    const last = joins[index]?.at(-1);
    if (!last) throw new Error(`consumer ${index} never joined`);
    return { generationId: last.generationId as number, memberId: last.memberId };
  };

  async function producer(): Promise<Producer> {
    const p = kafka.producer({
      transactionalId: `${prefix}txn-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    producers.push(p);
    await p.connect();
    return p;
  }

  /** Commits `offset` for partition 0 in one transaction; resolves or rejects with its error. */
  async function commitOffset(p: Producer, offset: number, group?: ConsumerGroupMetadata) {
    const txn = await p.transaction();
    const topics = [{ topic: input, partitions: [{ partition: 0, offset: String(offset) }] }];
    try {
      // The first request after the previous commit or abort: CONCURRENT_TRANSACTIONS until its
      // markers are written, asked again as the transformer does.
      await retryConcurrentTransactions(() =>
        group
          ? sendOffsetsToTransaction(txn, { consumerGroupId: groupId, topics }, group)
          : txn.sendOffsets({ consumerGroupId: groupId, topics }),
      );
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  const stable = async (timeoutMs = 10_000) =>
    (await fetchStableOffsets(kafka, { groupId, topic: input, partitions: [0, 1], timeoutMs })).get(
      0,
    );

  it('is installed', () => {
    expect(txnOffsetCommitV3Active).toBe(true);
  });

  it('reports the generation on GROUP_JOIN, accepts offsets of the current one and fences a stale one', async () => {
    const first = await join();
    const g1 = lastJoin(first);
    expect(g1.generationId).toEqual(expect.any(Number));
    expect(g1.generationId).toBeGreaterThanOrEqual(1);
    const p = await producer();

    await commitOffset(p, 5, g1);
    expect(await stable()).toBe(5n);

    // A second member: the group rebalances and the first member rejoins a newer generation.
    const second = await join();
    await until(
      () => lastJoin(first).generationId > g1.generationId,
      'the first member rejoins a newer generation',
    );
    const g2 = lastJoin(first);
    expect(lastJoin(second).generationId).toBe(g2.generationId);

    // The zombie's view: the generation it had before the rebalance.
    await expect(commitOffset(p, 6, g1)).rejects.toMatchObject({ type: 'ILLEGAL_GENERATION' });
    expect(await stable()).toBe(5n);
    // A member id the coordinator does not know.
    await expect(
      commitOffset(p, 6, { generationId: g2.generationId, memberId: `not-${g2.memberId}` }),
    ).rejects.toMatchObject({ type: 'UNKNOWN_MEMBER_ID' });
    expect(await stable()).toBe(5n);

    await commitOffset(p, 7, g2);
    expect(await stable()).toBe(7n);
    // Without group metadata v3 goes with generation -1 and no member: no generation check,
    // exactly what kafkajs' v0/v1 did.
    await commitOffset(p, 8);
    expect(await stable()).toBe(8n);
  });

  it('answers UNSTABLE_OFFSET_COMMIT while a transaction holds offsets, then the committed offset', async () => {
    const p = await producer();
    const txn = await p.transaction();
    await txn.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '9' }] }],
    });
    await expect(stable(300)).rejects.toMatchObject({ type: 'UNSTABLE_OFFSET_COMMIT' });
    // kafkajs' own OffsetFetch (v4, no require_stable) answers the offset the open transaction
    // is about to replace: a new owner starting from it would process records twice.
    const unstable = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(unstable[0]?.partitions.find((x) => x.partition === 0)?.offset).toBe('8');

    const waiting = stable(10_000);
    await sleep(300);
    await txn.commit();
    expect(await waiting).toBe(9n);
  });
});
