import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { DLQ_HEADERS } from '../../../services/common/src/record-headers.js';
import { domainTopicNames } from '../../../services/common/src/topics.js';
import { isFencingError } from '../../../services/transformer/src/eos/kafka-errors.js';
import {
  PartitionWorker,
  type FetchedBatch,
} from '../../../services/transformer/src/eos/partition-worker.js';
import { TransactionFailed } from '../../../services/transformer/src/eos/transaction-runner.js';
import type { WorkerSettings } from '../../../services/transformer/src/eos/worker-deps.js';
import { FakeCluster, protocolError } from '../../helpers/fake-kafka.js';
import { fakeWorkerDeps, names, outputIds, rawRecords } from '../../helpers/fake-worker-deps.js';

const P = 2;

function setup(settings: Partial<WorkerSettings> = {}, cluster = new FakeCluster()) {
  const deps = fakeWorkerDeps(cluster, settings);
  const failures: unknown[] = [];
  const onFailure = (err: unknown) => void failures.push(err);
  const worker = new PartitionWorker(P, deps);
  return { cluster, deps, worker, failures, onFailure };
}

const batch = (messages: KafkaMessage[], fetched = messages[0]!.offset): FetchedBatch => ({
  fetchedOffset: BigInt(fetched),
  firstOffset: messages[0]?.offset ?? null,
  lastOffset: messages[messages.length - 1]?.offset ?? fetched,
  messages,
});

/** Waits until the group's committed offset for the partition is `next`. */
const committedAt = (cluster: FakeCluster, next: number) =>
  vi.waitFor(() => expect(cluster.offsets.get(P)).toBe(BigInt(next)), { timeout: 2000 });

const failureOf = async (failures: unknown[]) => {
  await vi.waitFor(() => expect(failures).toHaveLength(1), { timeout: 2000 });
  return failures[0];
};

const stageCount = async (deps: ReturnType<typeof fakeWorkerDeps>, stage: string) =>
  (await deps.metrics.recordStage.get()).values.find(
    (v) => v.labels.stage === stage && v.metricName?.endsWith('_count'),
  )?.value ?? 0;

/**
 * A new owner takes over after a commit of records 0-4 whose markers Kafka skipped: the sweep must
 * leave exactly those five outputs, their offset taken effect and nothing open, and the new owner
 * goes on from offset 5.
 */
async function takeOverAfterCommittedFive(cluster: FakeCluster): Promise<void> {
  const next = setup({}, cluster);
  await next.worker.init();
  expect(cluster.offsets.get(P)).toBe(5n);
  expect(outputIds(cluster)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
  expect(cluster.openRecords).toEqual([]);
  next.worker.accept(batch(rawRecords(5, 2)), next.onFailure);
  await committedAt(cluster, 7);
  expect(outputIds(cluster)).toEqual([
    'evt-0',
    'evt-1',
    'evt-2',
    'evt-3',
    'evt-4',
    'evt-5',
    'evt-6',
  ]);
}

describe('PartitionWorker: takeover', () => {
  it('fences the previous owner, restores the committed changelog and reads the committed offset', async () => {
    const first = setup();
    await first.worker.init();
    first.worker.accept(batch(rawRecords(0, 5)), first.onFailure);
    await committedAt(first.cluster, 5);

    const second = setup({}, first.cluster);
    let restoring = false;
    const init = second.worker.init();
    restoring = second.worker.restoring;
    await init;
    expect(restoring).toBe(true);
    expect(second.worker.restoring).toBe(false);

    // The old owner is a zombie now: its next transaction is fenced.
    first.worker.accept(batch(rawRecords(5, 1)), first.onFailure);
    expect(isFencingError(await failureOf(first.failures))).toBe(true);

    // The same events again at new offsets: the restored dedup state drops them all.
    expect(
      second.worker.accept(batch(rawRecords(5, 5, (o) => `evt-${o - 5}`)), second.onFailure),
    ).toBe('queued');
    await committedAt(second.cluster, 10);
    expect(outputIds(second.cluster)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
    expect((await second.deps.metrics.duplicates.get()).values[0]?.value).toBe(5);
    expect(
      (await second.deps.metrics.restores.get()).values.find((v) =>
        v.metricName?.endsWith('_count'),
      )?.value,
    ).toBe(1);
  });
});

describe('PartitionWorker: offsets', () => {
  it('seeks back when kafkajs ran ahead, drops what is already queued, skips an unreadable gap', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    cluster.commitElsewhere(P, 5n);
    await worker.init();
    expect(worker.positioned).toBe(false);
    expect(worker.accept(batch(rawRecords(8, 2)), onFailure)).toEqual({ seek: 5n });
    expect(worker.positioned).toBe(true);
    expect(worker.accept(batch(rawRecords(5, 5)), onFailure)).toBe('queued');
    await committedAt(cluster, 10);
    // A rejoin fetches again from an older offset: only 10..12 are new.
    worker.accept(batch(rawRecords(7, 6)), onFailure);
    await committedAt(cluster, 13);
    // Offsets 13 and 14 held nothing readable (transaction markers, aborted records).
    worker.accept(batch(rawRecords(15, 2)), onFailure);
    await committedAt(cluster, 17);
    expect(outputIds(cluster)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 15, 16].map((o) => `evt-${o}`));
    expect(failures).toEqual([]);
    expect(worker.rewindTarget()).toBe(17n);
  });

  it('observes every committed record in each stage of recordStage', async () => {
    const { cluster, deps, worker, onFailure } = setup();
    await worker.init();
    worker.accept(batch(rawRecords(0, 4)), onFailure);
    await committedAt(cluster, 4);
    for (const stage of ['fetch_wait', 'queue_wait', 'prepare', 'send', 'offsets', 'commit'])
      expect(await stageCount(deps, stage), stage).toBe(4);
  });
});

describe('PartitionWorker: faults', () => {
  it('a failed send aborts: nothing visible, then a rewind and a new producer commit it once', async () => {
    const { cluster, deps, worker, onFailure, failures } = setup();
    await worker.init();
    cluster.failNext('sendBatch');
    worker.accept(batch(rawRecords(0, 5)), onFailure);
    const err = await failureOf(failures);
    expect(err).toBeInstanceOf(TransactionFailed);
    expect((err as TransactionFailed).ambiguous).toBe(false);
    expect(outputIds(cluster)).toEqual([]);
    expect(cluster.offsets.has(P)).toBe(false);
    expect(worker.accept(batch(rawRecords(5, 1)), onFailure)).toBe('failed');
    expect((await deps.metrics.transactions.get()).values).toMatchObject([
      { labels: { result: 'abort' }, value: 1 },
    ]);

    // Nothing committed yet: rewind to where this worker began.
    expect(worker.rewindTarget()).toBe(0n);
    worker.rewound(0n);
    worker.accept(batch(rawRecords(0, 5)), onFailure);
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
    // The takeover's producer, then the one that replaced it after the failure.
    expect(cluster.producers).toHaveLength(2);
    expect(cluster.producers[0]!.connected).toBe(false);
  });

  it('a failed commit is ambiguous', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    cluster.failNext('commit');
    worker.accept(batch(rawRecords(0, 3)), onFailure);
    const err = (await failureOf(failures)) as TransactionFailed;
    expect(err.ambiguous).toBe(true);
    expect(outputIds(cluster)).toEqual([]);
  });

  it('an applied commit whose answer was lost is ambiguous; a new takeover sees it committed', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    cluster.failNext('commit', new Error('connection lost'), true);
    worker.accept(batch(rawRecords(0, 3)), onFailure);
    expect(((await failureOf(failures)) as TransactionFailed).ambiguous).toBe(true);
    expect(worker.rewindTarget()).toBe(0n); // its own state never saw the commit
    await worker.close();

    const next = setup({}, cluster);
    await next.worker.init();
    expect(next.worker.rewindTarget()).toBe(3n);
    // kafkajs delivers from the old position again: only what follows the committed offset counts.
    expect(next.worker.accept(batch(rawRecords(0, 5)), next.onFailure)).toBe('queued');
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
  });

  it('an abort whose markers Kafka skipped: the renewal sweeps it, the retry commits each output once', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    // The outputs and changelog entries are written, the offsets fail, the abort loses its markers.
    cluster.failNext('sendOffsets', protocolError('COORDINATOR_NOT_AVAILABLE'));
    cluster.skipNextMarkers('abort');
    worker.accept(batch(rawRecords(0, 5)), onFailure);
    expect(((await failureOf(failures)) as TransactionFailed).ambiguous).toBe(false);
    expect(cluster.openRecords.length).toBeGreaterThan(0);

    worker.rewound(worker.rewindTarget());
    worker.accept(batch(rawRecords(0, 5)), onFailure);
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
    expect(cluster.openRecords).toEqual([]);
  });

  it('a commit whose markers Kafka skipped: the renewal after the next failure aborts it everywhere and the takeover processes it again, once', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    // Answered OK, but nothing of it (outputs, changelog, offsets) took effect.
    cluster.skipNextMarkers('commit');
    worker.accept(batch(rawRecords(0, 3)), onFailure);
    await vi.waitFor(() => expect(worker.rewindTarget()).toBe(3n));
    expect(outputIds(cluster)).toEqual([]);
    // The next transaction fails before it writes anything, so its abort decides nothing.
    cluster.failNext('sendBatch', protocolError('NOT_LEADER_OR_FOLLOWER'));
    worker.accept(batch(rawRecords(3, 2)), onFailure);
    expect(((await failureOf(failures)) as TransactionFailed).ambiguous).toBe(false);

    // The renewal's sweep aborts what is open; the committed offset never moved to 3: ambiguous.
    worker.rewound(worker.rewindTarget());
    failures.length = 0;
    worker.accept(batch(rawRecords(3, 2)), onFailure);
    const err = (await failureOf(failures)) as TransactionFailed;
    expect(err.ambiguous).toBe(true);
    expect(cluster.openRecords).toEqual([]);
    await worker.close();

    // Without the sweep, the next commit would also have made the first transaction visible.
    const next = setup({}, cluster);
    await next.worker.init();
    next.worker.accept(batch(rawRecords(0, 5)), next.onFailure);
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
  });

  it('a failed abort with skipped markers: the next takeover sweeps before its marker commits', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    cluster.failNext('sendOffsets', protocolError('COORDINATOR_NOT_AVAILABLE'));
    cluster.failNext('abort', protocolError('NOT_COORDINATOR'));
    cluster.skipNextMarkers('abort');
    worker.accept(batch(rawRecords(0, 5)), onFailure);
    expect(((await failureOf(failures)) as TransactionFailed).ambiguous).toBe(true);
    await worker.close();

    // Without the sweep, the takeover's marker commit would make the open changelog entries
    // committed: the retry would skip all five as duplicates while their outputs stay open.
    const next = setup({}, cluster);
    await next.worker.init();
    expect(next.worker.rewindTarget()).toBeUndefined();
    next.worker.accept(batch(rawRecords(0, 5)), next.onFailure);
    await committedAt(cluster, 5);
    expect(outputIds(cluster)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
    expect(cluster.openRecords).toEqual([]);
  });

  it('a commit whose answer was lost and whose output markers Kafka skipped: the takeover sweep commits them, none lost', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    // The coordinator decided commit; the offsets and changelog took effect, the outputs did not
    // (their markers skipped, as after a broker restart), and the producer never got the answer.
    cluster.skipNextMarkers('commit', { topics: domainTopicNames(names), offsets: false });
    cluster.failNext('commit', protocolError('REQUEST_TIMED_OUT'), true);
    worker.accept(batch(rawRecords(0, 5)), onFailure);
    expect(((await failureOf(failures)) as TransactionFailed).ambiguous).toBe(true);
    expect(cluster.offsets.get(P)).toBe(5n);
    expect(outputIds(cluster)).toEqual([]);
    expect(cluster.openRecords.length).toBeGreaterThan(0);
    await worker.close();

    // An abort sweep here lost all five: their offset had taken effect, so nothing reprocesses them.
    await takeOverAfterCommittedFive(cluster);
  });

  it('a commit whose answer was lost and whose markers Kafka skipped everywhere, offsets too: the sweep commits all of it, offsets included', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    cluster.skipNextMarkers('commit');
    cluster.failNext('commit', protocolError('REQUEST_TIMED_OUT'), true);
    worker.accept(batch(rawRecords(0, 5)), onFailure);
    expect(((await failureOf(failures)) as TransactionFailed).ambiguous).toBe(true);
    await worker.close();

    // The sweep also adds the group's offsets partition: the pending offsets take effect with the
    // outputs and changelog entries, so the new owner goes on after them (no record read twice,
    // which for a dead-lettered record would mean a second DLQ record: no dedup key guards those).
    await takeOverAfterCommittedFive(cluster);
  });

  it('a renewal that finds the committed offset moved makes the failure ambiguous', async () => {
    const { cluster, worker, onFailure, failures } = setup();
    await worker.init();
    cluster.failNext('sendOffsets');
    worker.accept(batch(rawRecords(0, 2)), onFailure);
    expect(((await failureOf(failures)) as TransactionFailed).ambiguous).toBe(false);
    cluster.commitElsewhere(P, 2n); // another instance took the partition and processed both
    worker.rewound(worker.rewindTarget());
    failures.length = 0;
    worker.accept(batch(rawRecords(0, 2)), onFailure);
    const err = (await failureOf(failures)) as TransactionFailed;
    expect(err.ambiguous).toBe(true);
    expect(err.message).toContain('committed offset moved to 2');
    expect(outputIds(cluster)).toEqual([]);
  });

  it('a record the broker rejects for good is isolated and dead-lettered; the others commit', async () => {
    const { cluster, deps, worker, onFailure, failures } = setup({ maxRecordAttempts: 3 });
    await worker.init();
    // The chunk, then the record alone three times.
    for (let i = 0; i < 4; i++) cluster.failNext('sendBatch', protocolError('MESSAGE_TOO_LARGE'));
    worker.accept(batch(rawRecords(0, 3)), onFailure);
    await committedAt(cluster, 3);
    expect(failures).toEqual([]);
    expect(outputIds(cluster)).toEqual(['evt-1', 'evt-2']);
    expect(cluster.on(names.dlq).map((r) => r.headers[DLQ_HEADERS.reason])).toEqual([
      'output_rejected',
    ]);
    expect(deps.limitRefreshes()).toBe(4);
  });
});

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
