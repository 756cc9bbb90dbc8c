// A partition worker's failed transactions: a failed send aborts and is retried once after a
// rewind, a failed or unanswered commit is ambiguous, a renewal that finds the committed offset
// moved is ambiguous too, and a record the broker rejects for good is dead-lettered alone.
// Transactions whose markers Kafka skipped are in partition-worker-sweep.test.ts.
import { describe, expect, it } from 'vitest';
import { TransformerError } from '../../../services/common/src/errors.js';
import { DLQ_HEADERS } from '../../../services/common/src/record-headers.js';
import { TransactionFailed } from '../../../services/transformer/src/eos/transaction-runner.js';
import { TopicLimits } from '../../../services/transformer/src/eos/topic-limits.js';
import { fakeConfigAdmin } from '../../helpers/fake-config-admin.js';
import { protocolError } from '../../helpers/fake-kafka.js';
import { names, outputIds, rawRecords } from '../../helpers/fake-worker-deps.js';
import { P, batch, committedAt, failureOf, setup } from './partition-worker-setup.js';

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
    // The chunk, the chunk again with the topic limits re-read (a size refusal the new limits
    // may cure), then the record alone three times.
    for (let i = 0; i < 5; i++) cluster.failNext('sendBatch', protocolError('MESSAGE_TOO_LARGE'));
    worker.accept(batch(rawRecords(0, 3)), onFailure);
    await committedAt(cluster, 3);
    expect(failures).toEqual([]);
    expect(outputIds(cluster)).toEqual(['evt-1', 'evt-2']);
    expect(cluster.on(names.dlq).map((r) => r.headers[DLQ_HEADERS.reason])).toEqual([
      'output_rejected',
    ]);
    expect(deps.limitRefreshes()).toBe(5);
  });

  it('a size refusal the re-read topic limits cure: the chunk goes again whole, nothing is taken apart or counted', async () => {
    const { cluster, deps, worker, onFailure, failures } = setup({ maxRecordAttempts: 3 });
    await worker.init();
    cluster.failNext('sendBatch', protocolError('MESSAGE_TOO_LARGE'));
    worker.accept(batch(rawRecords(0, 30)), onFailure);
    await committedAt(cluster, 30);
    expect(failures).toEqual([]);
    expect(cluster.on(names.dlq)).toEqual([]);
    expect(deps.limitRefreshes()).toBe(1);
    // Records per committed transaction: the takeover's marker, then the 30 records' outputs and
    // changelog entries at once (taken apart, as before, 30 transactions).
    expect(cluster.commits.filter((n) => n > 0).length).toBe(2);
  });

  it('an output over its topic limit by a reading too old to judge it waits for a reading that started after it, however long that reading or the back-off takes', async () => {
    // Never current (a max age below zero): as with a back-off longer than the max age.
    const { admin, calls } = fakeConfigAdmin(['300', '300']);
    const limits = new TopicLimits(admin, [names.contact, names.dlq, names.dedup], -1);
    const start = limits.refresh(); // as at start: every topic takes 300 bytes
    calls[0]!.release();
    await start;
    const { cluster, worker, onFailure, failures } = setup({}, undefined, limits);
    await worker.init();
    const retry = async () => {
      failures.length = 0;
      worker.rewound(worker.rewindTarget());
      worker.accept(batch(rawRecords(0, 1)), onFailure);
    };
    worker.accept(batch(rawRecords(0, 1)), onFailure);
    const err = await failureOf(failures);
    expect(err).toBeInstanceOf(TransformerError);
    expect((err as TransformerError).code).toBe('TRF_ERR_TOPIC_LIMITS_STALE');
    expect(calls).toHaveLength(2); // the reading asked for by the verdict, still in flight
    // Retried before that reading ended: held back again, and that reading still decides it.
    await retry();
    await failureOf(failures);
    calls[1]!.release();
    await new Promise((r) => setImmediate(r)); // the reading's end is seen
    await retry();
    await committedAt(cluster, 1);
    expect(failures).toEqual([]);
    const headers = cluster.on(names.dlq).map((r) => r.headers);
    expect(headers).toHaveLength(1);
    expect(headers[0]).toMatchObject({
      [DLQ_HEADERS.reason]: 'output_too_large',
      [DLQ_HEADERS.attempts]: '1',
    });
  });

  it('records over their topic limits by a reading too old to judge them: one reading judges the whole chunk, one rewind', async () => {
    const { admin, calls } = fakeConfigAdmin(['300', '300']);
    const limits = new TopicLimits(admin, [names.contact, names.dlq, names.dedup], -1);
    const start = limits.refresh();
    calls[0]!.release();
    await start;
    const { cluster, worker, onFailure, failures } = setup({}, undefined, limits);
    await worker.init();
    worker.accept(batch(rawRecords(0, 3)), onFailure);
    expect(((await failureOf(failures)) as TransformerError).code).toBe(
      'TRF_ERR_TOPIC_LIMITS_STALE',
    );
    calls[1]!.release();
    await new Promise((r) => setImmediate(r));
    failures.length = 0;
    worker.rewound(worker.rewindTarget());
    worker.accept(batch(rawRecords(0, 3)), onFailure);
    await committedAt(cluster, 3);
    expect(failures).toEqual([]);
    expect(cluster.on(names.dlq).map((r) => r.headers[DLQ_HEADERS.reason])).toEqual([
      'output_too_large',
      'output_too_large',
      'output_too_large',
    ]);
    expect(calls).toHaveLength(2);
  });
});
