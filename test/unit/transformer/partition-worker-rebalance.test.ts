// A partition worker across a rebalance (the ownership check waits for the transaction in flight
// and holds the worker when someone else committed), back-pressure, and close.
import { describe, expect, it } from 'vitest';
import { rawRecords } from '../../helpers/fake-worker-deps.js';
import { P, batch, committedAt, setup } from './partition-worker-setup.js';

describe('PartitionWorker: rebalance and close', () => {
  it('a rebalance mid-transaction: the check waits for the commit and keeps an exact worker', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    const release = cluster.holdCommits();
    worker.accept(batch(rawRecords(0, 3)), onFailure);
    worker.markRebalanced();
    expect(worker.rebalanced).toBe(true);
    let confirmed: boolean | undefined;
    const check = worker.confirmOwnership(onFailure).then((c) => (confirmed = c));
    await new Promise((r) => setTimeout(r, 20));
    expect(confirmed).toBeUndefined();
    worker.accept(batch(rawRecords(3, 2)), onFailure); // queued, not started while held
    release();
    await check;
    expect(confirmed).toBe(true);
    expect(worker.rebalanced).toBe(false);
    await committedAt(cluster, 5);
    expect(failures).toEqual([]);
  });

  it('a rebalance after which someone else committed: the check fails and the worker stays held', async () => {
    const { cluster, worker, onFailure } = setup();
    await worker.init();
    worker.accept(batch(rawRecords(0, 2)), onFailure);
    await committedAt(cluster, 2);
    worker.markRebalanced();
    cluster.commitElsewhere(P, 7n);
    expect(await worker.confirmOwnership(onFailure)).toBe(false);
    expect(worker.rebalanced).toBe(true);
    worker.accept(batch(rawRecords(2, 2)), onFailure);
    await new Promise((r) => setTimeout(r, 20));
    expect(cluster.commits).toHaveLength(2); // the takeover's marker and the first chunk
    await worker.close();
  });

  it('back-pressure, and close waits for the transaction in flight', async () => {
    const { cluster, worker, onFailure } = setup({ maxTransactionRecords: 2 });
    await worker.init();
    const release = cluster.holdCommits();
    worker.accept(batch(rawRecords(0, 10)), onFailure);
    expect(worker.hasBacklog(5)).toBe(true);
    let roomy = false;
    const room = worker.waitForRoom(5, 5000).then(() => (roomy = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(roomy).toBe(false);
    let closed = false;
    const close = worker.close().then(() => (closed = true));
    await room; // close empties the queue
    expect(worker.hasBacklog(5)).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    release();
    await close;
    expect(cluster.offsets.get(P)).toBe(2n);
    expect(cluster.producers.every((p) => !p.connected)).toBe(true);
    expect(worker.accept(batch(rawRecords(10, 1)), onFailure)).toBe('queued'); // and ignored
    expect(cluster.offsets.get(P)).toBe(2n);
  });
});
