// Transactions whose markers Kafka skipped (commit or abort, on the outputs, the changelog or the
// offsets): the producer renewal or the next takeover sweeps what is left open, so each output
// ends up committed exactly once and no committed offset skips an output.
import { describe, expect, it, vi } from 'vitest';
import { domainTopicNames } from '../../../services/common/src/topics.js';
import type { TransactionFailed } from '../../../services/transformer/src/eos/transaction-runner.js';
import { protocolError, type FakeCluster } from '../../helpers/fake-kafka.js';
import { names, outputIds, rawRecords } from '../../helpers/fake-worker-deps.js';
import { P, batch, committedAt, failureOf, setup } from './partition-worker-setup.js';

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

describe('PartitionWorker: faults', () => {
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
});
