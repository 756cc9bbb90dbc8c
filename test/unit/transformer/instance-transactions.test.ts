// Per-instance transactions (instance-transactions.ts): one producer, one transaction for every
// partition's queued records, over the fake cluster (test/helpers/fake-kafka.ts). The group fence
// itself (ILLEGAL_GENERATION) is the broker's and is tested against it
// (test/integration/smoke/kafkajs-group-metadata.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DLQ_HEADERS, RAW_HEADERS } from '../../../services/common/src/record-headers.js';
import type { ConsumerGroupMetadata } from '../../../services/common/src/kafka/kafkajs-group-metadata.js';
import { InstanceTransactions } from '../../../services/transformer/src/eos/instance-transactions.js';
import { PartitionWorker } from '../../../services/transformer/src/eos/partition-worker.js';
import { TransactionFailed } from '../../../services/transformer/src/eos/transaction-runner.js';
import { FakeCluster, protocolError } from '../../helpers/fake-kafka.js';
import {
  fakeWorkerDeps,
  GROUP,
  names,
  outputIds,
  rawRecords,
} from '../../helpers/fake-worker-deps.js';
import { batch } from './partition-worker-setup.js';

const ID = 'test-group-ghl.raw-instance-a';

function setup(opts: { group?: () => ConsumerGroupMetadata | undefined; refreshMs?: number } = {}) {
  const cluster = new FakeCluster();
  const base = fakeWorkerDeps(cluster);
  const rejected: ConsumerGroupMetadata[] = [];
  if (opts.refreshMs !== undefined) {
    const refreshMs = opts.refreshMs;
    base.limits = {
      ...base.limits,
      refresh: () => new Promise<void>((r) => setTimeout(r, refreshMs)),
    };
  }
  const shared = new InstanceTransactions({
    kafka: base.kafka,
    admin: base.admin,
    transactions: base.transactions,
    names,
    limits: base.limits,
    metrics: base.metrics,
    logger: base.logger,
    group: opts.group ?? (() => ({ generationId: 1, memberId: 'member-1' })),
    membershipRejected: (used) => rejected.push(used),
    stableOffsets: async (partitions) =>
      new Map(
        partitions.flatMap((p) => (cluster.offsets.has(p) ? [[p, cluster.offsets.get(p)!]] : [])),
      ),
    settings: {
      groupId: GROUP,
      transactionalId: ID,
      transactionTimeoutMs: 10_000,
      maxTransactionRecords: 100,
      transactionGapMs: 0,
      slowTransactionMs: 60_000,
    },
  });
  const deps = { ...base, shared };
  const failures = new Map<number, unknown[]>();
  const worker = async (partition: number) => {
    const w = new PartitionWorker(partition, deps);
    await w.init();
    return w;
  };
  const onFailure = (partition: number) => (err: unknown) => {
    const list = failures.get(partition) ?? [];
    list.push(err);
    failures.set(partition, list);
  };
  return { cluster, shared, deps, worker, failures, onFailure, rejected };
}

/**
 * Partition 0 commits offset 2, then a transaction of partition 5 fails (the producer is now
 * stale) and the group's offset for 0 goes back to 1: the skipped-markers case, where the sweep
 * aborted a commit the worker had applied.
 */
async function committedThenMoved(t: ReturnType<typeof setup>) {
  const [a, b] = await Promise.all([t.worker(0), t.worker(5)]);
  a.accept(batch(rawRecords(0, 2)), t.onFailure(0));
  await vi.waitFor(() => expect(t.cluster.offsets.get(0)).toBe(2n));
  t.cluster.failNext('sendBatch', Object.assign(new Error('boom'), { type: 'NETWORK' }));
  b.accept(batch(rawRecords(0, 1)), t.onFailure(5));
  await vi.waitFor(() => expect(t.failures.get(5)).toHaveLength(1));
  t.cluster.commitElsewhere(0, 1n);
  return [a, b] as const;
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('per-instance transactions', () => {
  it('commits the queued records of several partitions in one transaction, with every offset', async () => {
    const t = setup();
    cleanup = () => t.shared.close();
    const [a, b] = await Promise.all([t.worker(1), t.worker(4)]);
    const afterTakeovers = t.cluster.commits.length;
    const release = t.cluster.holdCommits();
    expect(a.accept(batch(rawRecords(0, 3)), t.onFailure(1))).toBe('queued');
    // Held: the first round is waiting to commit; what arrives meanwhile goes into the next one.
    await vi.waitFor(() => expect(t.cluster.describe(ID)?.state).toBe('Ongoing'));
    expect(a.accept(batch(rawRecords(3, 2)), t.onFailure(1))).toBe('queued');
    expect(b.accept(batch(rawRecords(0, 4)), t.onFailure(4))).toBe('queued');
    release();
    await vi.waitFor(() => {
      expect(t.cluster.offsets.get(1)).toBe(5n);
      expect(t.cluster.offsets.get(4)).toBe(4n);
    });
    // One producer for the instance, one transactional.id, and two transactions: the 3 records
    // of the first round, then 2 + 4 records of both partitions together.
    expect(new Set(t.cluster.producers.map((p) => p.transactionalId))).toEqual(new Set([ID]));
    expect(t.cluster.commits.length - afterTakeovers).toBe(2);
    expect(t.failures.size).toBe(0);
  });

  it('a failed transaction fails every part in it; the next one starts from a fresh producer after the sweep', async () => {
    const t = setup();
    cleanup = () => t.shared.close();
    const [a, b] = await Promise.all([t.worker(0), t.worker(3)]);
    const producersBefore = t.cluster.producers.length;
    t.cluster.failNext('sendOffsets', Object.assign(new Error('boom'), { type: 'NETWORK' }));
    a.accept(batch(rawRecords(0, 2)), t.onFailure(0));
    b.accept(batch(rawRecords(0, 2)), t.onFailure(3));
    await vi.waitFor(() => {
      expect(t.failures.get(0)).toHaveLength(1);
      expect(t.failures.get(3)).toHaveLength(1);
    });
    const err = t.failures.get(0)![0] as TransactionFailed;
    expect(err).toBeInstanceOf(TransactionFailed);
    expect(err.ambiguous).toBe(false);
    expect(t.cluster.offsets.has(0)).toBe(false);
    // The worker is rewound by the loop; here, directly.
    a.rewound(0n);
    a.accept(batch(rawRecords(0, 2)), t.onFailure(0));
    await vi.waitFor(() => expect(t.cluster.offsets.get(0)).toBe(2n));
    expect(t.cluster.producers.length).toBe(producersBefore + 1);
    expect(t.cluster.describe(ID)?.state).toBe('CompleteCommit');
  });

  it('a part whose committed offset moved while its transaction failed is taken over again after the sweep', async () => {
    const t = setup();
    cleanup = () => t.shared.close();
    const [a, b] = await committedThenMoved(t);
    b.rewound(0n);
    b.accept(batch(rawRecords(0, 1)), t.onFailure(5));
    await vi.waitFor(() => expect(t.cluster.offsets.get(5)).toBe(1n));
    expect(a.needsTakeover).toBe(true);
    expect(b.needsTakeover).toBe(false);
    const moved = t.failures.get(0)?.[0] as TransactionFailed | undefined;
    expect(moved?.ambiguous).toBe(true);
  });

  it('offsets the group rejects (UNKNOWN_MEMBER_ID) report the membership they carried as stale; a moved coordinator or other failures do not', async () => {
    const t = setup();
    cleanup = () => t.shared.close();
    const a = await t.worker(2);
    const failWith = async (type: string, failures: number) => {
      t.cluster.failNext('sendOffsets', Object.assign(new Error(type), { type }));
      a.accept(batch(rawRecords(0, 1)), t.onFailure(2));
      await vi.waitFor(() => expect(t.failures.get(2)).toHaveLength(failures));
      a.rewound(0n);
    };
    await failWith('NETWORK', 1);
    await failWith('NOT_COORDINATOR_FOR_GROUP', 2);
    await failWith('REBALANCE_IN_PROGRESS', 3);
    expect(t.rejected).toEqual([]);
    await failWith('UNKNOWN_MEMBER_ID', 4);
    expect(t.rejected).toEqual([{ generationId: 1, memberId: 'member-1' }]);
  });

  it('begins no transaction while the consumer is not in its group', async () => {
    let group: ConsumerGroupMetadata | undefined = undefined;
    const t = setup({ group: () => group });
    cleanup = () => t.shared.close();
    const a = await t.worker(2);
    a.accept(batch(rawRecords(0, 2)), t.onFailure(2));
    await vi.waitFor(() => expect(t.failures.get(2)).toHaveLength(1));
    expect((t.failures.get(2)![0] as Error).message).toMatch(/not in its group/);
    expect(t.cluster.offsets.has(2)).toBe(false);
    group = { generationId: 3, memberId: 'm' };
    a.rewound(0n);
    a.accept(batch(rawRecords(0, 2)), t.onFailure(2));
    await vi.waitFor(() => expect(t.cluster.offsets.get(2)).toBe(2n));
  });

  it('a record the broker rejects in a shared transaction: each part goes again alone, and only the part rejected alone is taken apart one record per transaction', async () => {
    const t = setup();
    cleanup = () => t.shared.close();
    const [a, b] = await Promise.all([t.worker(1), t.worker(2)]);
    t.cluster.rejectRecords(
      (r) => r.topic !== names.dlq && r.headers['ce_id'] === 'a-1',
      protocolError('INVALID_RECORD'),
    );
    a.accept(batch(rawRecords(0, 3, (o) => `a-${o}`)), t.onFailure(1));
    b.accept(batch(rawRecords(0, 40, (o) => `b-${o}`)), t.onFailure(2));
    await vi.waitFor(() => {
      expect(t.cluster.offsets.get(1)).toBe(3n);
      expect(t.cluster.offsets.get(2)).toBe(40n);
    });
    expect(t.failures.size).toBe(0);
    const dlq = t.cluster.on(names.dlq);
    expect(dlq.map((r) => [r.headers[RAW_HEADERS.eventId], r.headers[DLQ_HEADERS.reason]])).toEqual(
      [['a-1', 'output_rejected']],
    );
    // Records per committed transaction: the two takeovers' markers; b's 40 outputs and their
    // changelog entries in one; a's three one each (a-1 dead-lettered after its attempts).
    // Taking both parts apart, as before, committed 43 transactions after the markers.
    expect(t.cluster.commits).toEqual([1, 1, 80, 2, 1, 2]);
  });

  it('while a rejected record is searched for one record per transaction, the other partitions keep committing', async () => {
    const t = setup();
    cleanup = () => t.shared.close();
    const [a, c] = await Promise.all([t.worker(1), t.worker(2)]);
    t.cluster.rejectRecords(
      (r) => r.topic !== names.dlq && r.headers['ce_id'] === 'a-29',
      protocolError('INVALID_RECORD'),
    );
    a.accept(batch(rawRecords(0, 30, (o) => `a-${o}`)), t.onFailure(1));
    // Three transactions' worth (maxTransactionRecords is 100 here).
    c.accept(batch(rawRecords(0, 300, (o) => `c-${o}`)), t.onFailure(2));
    await vi.waitFor(() => {
      expect(t.cluster.offsets.get(1)).toBe(30n);
      expect(t.cluster.offsets.get(2)).toBe(300n);
    });
    expect(t.failures.size).toBe(0);
    // Commit order: c's last record committed while a's were still going one per transaction
    // (rounds alternate); before, every a record went first, then c's first 100 one each.
    const order = outputIds(t.cluster);
    const lastOfC = order.lastIndexOf('c-299');
    const aAfterC = order.filter((id, i) => id.startsWith('a-') && i > lastOfC);
    expect(lastOfC).toBeGreaterThan(0);
    expect(aAfterC.length).toBeGreaterThanOrEqual(25);
  });

  it('a size rejection: no later record of the partition commits before the rejected chunk is queued again (the offset never jumps past it)', async () => {
    // Refreshing the topic limits takes a while; rounds go on meanwhile.
    const t = setup({ refreshMs: 50 });
    cleanup = () => t.shared.close();
    const a = await t.worker(1);
    const seen: bigint[] = [];
    const watch = setInterval(() => {
      const at = t.cluster.offsets.get(1);
      if (at !== undefined && seen[seen.length - 1] !== at) seen.push(at);
    }, 1);
    try {
      const tooLarge = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
      t.cluster.failNext('sendBatch', tooLarge);
      a.accept(batch(rawRecords(0, 3)), t.onFailure(1));
      // Later records arrive while the refresh runs.
      await new Promise((r) => setTimeout(r, 5));
      a.accept(batch(rawRecords(3, 2)), t.onFailure(1));
      await vi.waitFor(() => expect(t.cluster.offsets.get(1)).toBe(5n), { timeout: 3000 });
    } finally {
      clearInterval(watch);
    }
    expect(t.failures.size).toBe(0);
    // Monotonic: a commit of the later records before the chunk would show 5 and then less.
    expect([...seen].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(seen);
  });

  it('a partition found in doubt when the producer is replaced has no part in that transaction', async () => {
    const t = setup();
    cleanup = () => t.shared.close();
    const [a, b] = await committedThenMoved(t);
    // Both have records when the next round begins (and replaces the producer).
    a.accept(batch(rawRecords(2, 2)), t.onFailure(0));
    b.rewound(0n);
    b.accept(batch(rawRecords(0, 1)), t.onFailure(5));
    await vi.waitFor(() => expect(t.cluster.offsets.get(5)).toBe(1n));
    expect(a.needsTakeover).toBe(true);
    // Partition 0's records 2-3 were not committed on top of the state in doubt.
    expect(t.cluster.offsets.get(0)).toBe(1n);
  });

  it('a partition kept across a rebalance takes no part in transactions until its ownership is confirmed', async () => {
    const t = setup();
    cleanup = () => t.shared.close();
    const a = await t.worker(3);
    a.accept(batch(rawRecords(0, 1)), t.onFailure(3));
    await vi.waitFor(() => expect(t.cluster.offsets.get(3)).toBe(1n));
    a.markRebalanced();
    a.accept(batch(rawRecords(1, 2)), t.onFailure(3));
    await new Promise((r) => setTimeout(r, 30));
    expect(t.cluster.offsets.get(3)).toBe(1n);
    expect(await a.confirmOwnership(t.onFailure(3))).toBe(true);
    await vi.waitFor(() => expect(t.cluster.offsets.get(3)).toBe(3n));
  });

  it('close waits for the transaction in flight', async () => {
    const t = setup();
    const a = await t.worker(0);
    const release = t.cluster.holdCommits();
    a.accept(batch(rawRecords(0, 1)), t.onFailure(0));
    await vi.waitFor(() => expect(t.cluster.describe(ID)?.state).toBe('Ongoing'));
    let closed = false;
    const closing = a
      .close()
      .then(() => t.shared.close())
      .then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(t.cluster.offsets.get(0)).toBe(1n);
  });
});
