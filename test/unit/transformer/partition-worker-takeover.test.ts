// A partition worker taking over: fencing the previous owner and restoring its committed dedup
// state, then positioning at the committed offset (seeking back, dropping what is already
// processed, skipping unreadable gaps), with every stage of a committed record observed.
import { describe, expect, it } from 'vitest';
import { isFencingError } from '../../../services/common/src/kafka/kafka-errors.js';
import { outputIds, rawRecords, type fakeWorkerDeps } from '../../helpers/fake-worker-deps.js';
import { P, batch, committedAt, failureOf, setup } from './partition-worker-setup.js';

const stageCount = async (deps: ReturnType<typeof fakeWorkerDeps>, stage: string) =>
  (await deps.metrics.recordStage.get()).values.find(
    (v) => v.labels.stage === stage && v.metricName?.endsWith('_count'),
  )?.value ?? 0;

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
