// DescribeTransactions (kafkajs-describe-transactions.ts) and the transformer's sweep
// (transaction-sweep.ts: partitions added to a transaction without records, AddPartitionsToTxn
// only, through the patched send path) against the real broker: the coordinator's states as the
// takeover reads them, and markers written where nothing else is.
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeTransaction } from '../../../services/common/src/kafka/kafkajs-describe-transactions.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { sweepOpenTransactions } from '../../../services/transformer/src/eos/transaction-sweep.js';
import { readCommitted, testKafka, uniquePrefix } from '../../helpers/integration.js';

describe('DescribeTransactions and the marker-only sweep against the real broker', () => {
  const kafka = testKafka('smoke-describe-txn');
  const admin = kafka.admin();
  const prefix = uniquePrefix('smoke-dtx');
  const topic = `${prefix}out`;
  const producers: Producer[] = [];

  const newProducer = async (transactionalId = `${prefix}tx-${randomUUID()}`) => {
    const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    producers.push(producer);
    await producer.connect();
    return { producer, transactionalId };
  };
  /** Waits out PrepareCommit / PrepareAbort (markers still being written). */
  const settled = (id: string) =>
    vi.waitFor(
      async () => {
        const d = await describeTransaction(kafka, id, 10_000);
        expect(d?.state).toMatch(/^(Complete|Ongoing|Empty)/);
        return d;
      },
      { timeout: 10_000, interval: 50 },
    );
  const highWatermarks = async () =>
    (await admin.fetchTopicOffsets(topic))
      .sort((a, b) => a.partition - b.partition)
      .map((p) => Number(p.high));

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic, numPartitions: 3 }]);
  });
  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('has no state for a transactional.id never used', async () => {
    expect(
      await describeTransaction(kafka, `${prefix}never-${randomUUID()}`, 10_000),
    ).toBeUndefined();
  });

  it('says Ongoing with its partitions, then how the last transaction ended', async () => {
    const { producer, transactionalId } = await newProducer();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ key: 'k', value: 'v', partition: 1 }] });
    const ongoing = await describeTransaction(kafka, transactionalId, 10_000);
    expect(ongoing?.state).toBe('Ongoing');
    expect(ongoing?.partitions).toEqual([`${topic}/1`]);
    expect(Number(ongoing?.producerId)).toBeGreaterThanOrEqual(0);
    await txn.commit();
    expect((await settled(transactionalId))?.state).toBe('CompleteCommit');

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'k', value: 'gone', partition: 1 }] });
    await aborted.abort();
    const after = await settled(transactionalId);
    expect(after?.state).toBe('CompleteAbort');
    expect(after?.producerEpoch).toBe(ongoing?.producerEpoch);
  });

  it('a sweep writes one marker to each partition and no record or offset, committed or aborted', async () => {
    const groupId = `${prefix}group`;
    const { producer, transactionalId } = await newProducer();
    const first = await producer.transaction();
    await first.send({ topic, messages: [{ key: 'k', value: 'before', partition: 0 }] });
    await first.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: '5' }] }],
    });
    await first.commit();
    // EndTxn returns before the markers are written, and the offset is pending until its marker
    // is: CompleteCommit says every marker is written (a read right after commit saw -1).
    expect((await settled(transactionalId))?.state).toBe('CompleteCommit');
    const committedOffset = async () =>
      (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions.find(
        (p) => p.partition === 0,
      )?.offset;
    expect(await committedOffset()).toBe('5');
    const before = await highWatermarks();

    const sweeper = await newProducer(transactionalId); // fences the first, as a takeover does
    // What the coordinator holds just before the sweep commits: the three partitions and the
    // group's offsets partition, so offsets left pending by skipped markers end with them.
    let open: Awaited<ReturnType<typeof describeTransaction>>;
    const watched: Pick<Producer, 'transaction'> = {
      transaction: async () => {
        const txn = await sweeper.producer.transaction();
        return Object.assign(Object.create(txn) as typeof txn, {
          commit: async () => {
            open = await describeTransaction(kafka, transactionalId, 10_000);
            return txn.commit();
          },
        });
      },
    };
    await sweepOpenTransactions(watched, [{ topic, partitions: [0, 1, 2] }], 'commit', groupId);
    expect(open?.state).toBe('Ongoing');
    expect(open?.partitions.filter((p) => p.startsWith(`${topic}/`)).sort()).toEqual(
      [0, 1, 2].map((p) => `${topic}/${p}`),
    );
    expect(open?.partitions.some((p) => p.startsWith('__consumer_offsets/'))).toBe(true);
    // The markers are written after EndTxn returns: count them once the coordinator says so.
    expect((await settled(transactionalId))?.state).toBe('CompleteCommit');
    expect(await highWatermarks()).toEqual(before.map((h) => h + 1));

    await sweepOpenTransactions(
      (await newProducer(transactionalId)).producer,
      [{ topic, partitions: [0, 2] }],
      'abort',
      groupId,
    );
    expect((await settled(transactionalId))?.state).toBe('CompleteAbort');
    expect(await highWatermarks()).toEqual([before[0]! + 2, before[1]! + 1, before[2]! + 2]);

    expect(await committedOffset()).toBe('5');
    const seen = await readCommitted(kafka, [topic], { expected: 2, settleMs: 1000 });
    expect(seen.map((r) => r.value?.toString()).sort()).toEqual(['before', 'v']);
  });
});
