import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../services/common/src/logger.js';
import { EosLoop } from '../../../services/transformer/src/eos/eos-loop.js';
import { PartitionWorker } from '../../../services/transformer/src/eos/partition-worker.js';
import { FakeConsumer } from '../../helpers/fake-consumer.js';
import { FakeCluster } from '../../helpers/fake-kafka.js';
import { fakeWorkerDeps, names, outputIds, rawRecords } from '../../helpers/fake-worker-deps.js';

const P = 1;
const loops: EosLoop[] = [];

afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

async function setup(cluster = new FakeCluster()) {
  const deps = fakeWorkerDeps(cluster);
  const consumer = new FakeConsumer();
  const loop = new EosLoop(
    consumer.asConsumer(),
    deps,
    {
      partitionsConsumedConcurrently: 1,
      maxQueuedRecords: 1000,
      heartbeatIntervalMs: 100,
      backoffInitialMs: 5,
      backoffMaxMs: 10,
      kafkaStaleMs: 60_000,
    },
    createLogger('test', 'silent'),
  );
  loops.push(loop);
  await loop.start();
  consumer.join(names.raw, [P]);
  return { cluster, deps, consumer, loop };
}

const committedAt = (cluster: FakeCluster, next: number) =>
  vi.waitFor(() => expect(cluster.offsets.get(P)).toBe(BigInt(next)), { timeout: 2000 });

/** Waits out the backoff: the partition is resumed (and its worker rewound, if kept). */
const resumed = (consumer: FakeConsumer) =>
  vi.waitFor(() => expect(consumer.paused.has(P)).toBe(false), { timeout: 2000 });

const retries = async (deps: ReturnType<typeof fakeWorkerDeps>): Promise<Record<string, number>> =>
  Object.fromEntries(
    (await deps.metrics.retries.get()).values.map((v) => [String(v.labels.cause), v.value]),
  );

const restores = async (deps: ReturnType<typeof fakeWorkerDeps>) =>
  (await deps.metrics.restores.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value;

/** kafkajs' own test for the errors after which its runner rejoins the group. */
const { isRebalancing } = createRequire(import.meta.url)('kafkajs/src/errors.js') as {
  isRebalancing: (e: unknown) => boolean;
};

const ids = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `evt-${from + i}`);

describe('EosLoop', () => {
  it('takes a partition over at its first batch, commits it and resolves the batch', async () => {
    const { cluster, deps, consumer, loop } = await setup();
    expect(loop.ownedPartitions).toEqual([P]);
    const { resolved } = await consumer.deliver(P, rawRecords(0, 5));
    expect(resolved).toBe('4');
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(ids(0, 5));
    expect(loop.notReadyReasons()).toEqual([]);
    expect(await restores(deps)).toBe(1);
  });

  it('a failed send: seek back to the committed offset, back off, rewind; the retry commits once', async () => {
    const { cluster, deps, consumer } = await setup();
    await consumer.deliver(P, rawRecords(0, 3));
    await committedAt(cluster, 3);
    cluster.failNext('sendBatch');
    await consumer.deliver(P, rawRecords(3, 3));
    await vi.waitFor(() => expect(consumer.seeks).toEqual([{ partition: P, offset: '3' }]));
    expect(await retries(deps)).toEqual({ transaction: 1 });
    await resumed(consumer);
    // kafkajs fetches again from the committed offset.
    await consumer.deliver(P, rawRecords(3, 3));
    await committedAt(cluster, 6);
    expect(outputIds(cluster)).toEqual(ids(0, 6));
    expect(await restores(deps)).toBe(1); // the worker was kept (its producer renewed)
    expect(cluster.producers).toHaveLength(2);
  });

  it('an ambiguous commit: a full takeover follows and nothing is repeated', async () => {
    const { cluster, deps, consumer } = await setup();
    await consumer.deliver(P, rawRecords(0, 2));
    await committedAt(cluster, 2);
    cluster.failNext('commit', new Error('answer lost'), true);
    await consumer.deliver(P, rawRecords(2, 3));
    // The worker never saw its commit succeed: it rewinds to what it knew was committed.
    await vi.waitFor(() => expect(consumer.seeks).toEqual([{ partition: P, offset: '2' }]));
    expect(cluster.offsets.get(P)).toBe(5n);
    await resumed(consumer);
    await consumer.deliver(P, rawRecords(2, 5));
    await committedAt(cluster, 7);
    expect(outputIds(cluster)).toEqual(ids(0, 7));
    expect(await restores(deps)).toBe(2);
  });

  it('a failed abort whose markers Kafka skipped: the next takeover sweeps before it commits', async () => {
    const { cluster, deps, consumer } = await setup();
    await consumer.deliver(P, rawRecords(0, 2));
    await committedAt(cluster, 2);
    cluster.failNext('sendOffsets', new Error('coordinator not available'));
    cluster.failNext('abort', new Error('answer lost'));
    cluster.skipNextMarkers('abort');
    await consumer.deliver(P, rawRecords(2, 3));
    await vi.waitFor(() => expect(consumer.seeks).toEqual([{ partition: P, offset: '2' }]));
    await resumed(consumer);
    await consumer.deliver(P, rawRecords(2, 3));
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(ids(0, 5));
    expect(cluster.openRecords).toEqual([]);
    expect(await restores(deps)).toBe(2);
  });

  it('fenced by another owner: backs off, takes over again, and commits', async () => {
    const { cluster, deps, consumer } = await setup();
    await consumer.deliver(P, rawRecords(0, 2));
    await committedAt(cluster, 2);
    await new PartitionWorker(P, fakeWorkerDeps(cluster)).init(); // a late takeover elsewhere
    await consumer.deliver(P, rawRecords(2, 2));
    await vi.waitFor(async () => expect(await retries(deps)).toEqual({ fenced: 1 }));
    await resumed(consumer);
    await consumer.deliver(P, rawRecords(2, 2));
    await committedAt(cluster, 4);
    expect(outputIds(cluster)).toEqual(ids(0, 4));
    expect(await restores(deps)).toBe(2);
  });

  it('a rebalance mid-transaction keeps the worker when nobody committed meanwhile', async () => {
    const { cluster, deps, consumer } = await setup();
    await consumer.deliver(P, rawRecords(0, 2));
    await committedAt(cluster, 2);
    const release = cluster.holdCommits();
    await consumer.deliver(P, rawRecords(2, 3));
    consumer.join(names.raw, [P]);
    let delivered = false;
    const next = consumer.deliver(P, rawRecords(5, 2)).then(() => (delivered = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(delivered).toBe(false); // waits for the commit in flight before comparing offsets
    release();
    await next;
    await committedAt(cluster, 7);
    expect(outputIds(cluster)).toEqual(ids(0, 7));
    expect(await restores(deps)).toBe(1);
    expect(cluster.producers).toHaveLength(1);
  });

  it('kafkajs fetching outside the group after a failed rejoin: the batch makes it rejoin, nothing commits until the join', async () => {
    // kafkajs' runner retries a failed JoinGroup ("coordinator loading") by fetching again with
    // the old assignment; only an eachBatch error of its rebalance kind makes it rejoin.
    const { cluster, consumer, loop } = await setup();
    await consumer.deliver(P, rawRecords(0, 2));
    await committedAt(cluster, 2);
    consumer.rebalancing();
    const outside = await consumer.deliver(P, rawRecords(2, 3)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(outside).toBeDefined();
    expect(isRebalancing(outside)).toBe(true);
    expect(loop.notReadyReasons()).toContain(
      'consumer not in its group (starting, rejoining or crashed)',
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(cluster.offsets.get(P)).toBe(2n);
    consumer.join(names.raw, [P]);
    const { resolved } = await consumer.deliver(P, rawRecords(2, 3));
    expect(resolved).toBe('4');
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(ids(0, 5));
  });

  it('the group rejected the membership a transaction carried: the next batch makes kafkajs rejoin; an older one changes nothing', async () => {
    const { cluster, consumer, loop } = await setup();
    consumer.join(names.raw, [P], 7);
    await consumer.deliver(P, rawRecords(0, 2));
    await committedAt(cluster, 2);
    loop.membershipRejected({ generationId: 6, memberId: 'member-1' }); // a round of before the join
    expect(loop.groupMetadata).toEqual({ generationId: 7, memberId: 'member-1' });
    await consumer.deliver(P, rawRecords(2, 1));
    await committedAt(cluster, 3);
    // kafkajs rejoined after UNKNOWN_MEMBER_ID without a REBALANCING event, and fetches on.
    loop.membershipRejected({ generationId: 7, memberId: 'member-1' });
    expect(loop.groupMetadata).toBeUndefined();
    const outside = await consumer.deliver(P, rawRecords(3, 2)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isRebalancing(outside)).toBe(true);
    consumer.join(names.raw, [P], 8);
    await consumer.deliver(P, rawRecords(3, 2));
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(ids(0, 5));
  });

  it('a rebalance after which another instance committed: the partition is taken over again', async () => {
    const { cluster, deps, consumer } = await setup();
    await consumer.deliver(P, rawRecords(0, 3));
    await committedAt(cluster, 3);
    consumer.join(names.raw, [P]);
    cluster.commitElsewhere(P, 6n);
    await consumer.deliver(P, rawRecords(3, 5));
    await committedAt(cluster, 8);
    expect(outputIds(cluster)).toEqual([...ids(0, 3), 'evt-6', 'evt-7']);
    expect(await restores(deps)).toBe(2);
  });

  it('kafkajs ahead of the committed offset: seeks back and leaves the batch unresolved', async () => {
    const cluster = new FakeCluster();
    cluster.commitElsewhere(P, 5n);
    const { consumer } = await setup(cluster);
    const { resolved } = await consumer.deliver(P, rawRecords(8, 2));
    expect(resolved).toBeUndefined();
    expect(consumer.seeks).toEqual([{ partition: P, offset: '5' }]);
    await consumer.deliver(P, rawRecords(5, 5));
    await committedAt(cluster, 10);
    expect(outputIds(cluster)).toEqual(ids(5, 10));
  });

  it('a partition that moved away: its worker is closed and its batches are ignored', async () => {
    const { cluster, consumer, loop } = await setup();
    await consumer.deliver(P, rawRecords(0, 2));
    await committedAt(cluster, 2);
    consumer.join(names.raw, [0]);
    expect(loop.ownedPartitions).toEqual([0]);
    await vi.waitFor(() => expect(cluster.producers[0]!.connected).toBe(false));
    await consumer.deliver(P, rawRecords(2, 2));
    expect(cluster.producers).toHaveLength(1);
    expect(cluster.offsets.get(P)).toBe(2n);
  });
});
