import type { FetchedRecord } from '../../../common/src/kafka/records.js';
import { dlqReasonOf } from '../../../common/src/errors.js';
import type { DedupPartition } from './dedup-store.js';
import type { TransformerMetrics } from '../metrics.js';
import type { Plan } from './transaction-plan.js';

/** When each phase of a transaction ended, in ms since it started. */
export interface Phases {
  began: number;
  sent: number;
  offsets: number;
  committed: number;
}

export interface CommitTiming {
  /** When the transaction started (epoch ms): its plan was decided then. */
  started: number;
  phases: Phases;
  /** When each record was fetched (epoch ms), for the `queue_wait` stage. */
  fetchedAt: Pick<WeakMap<FetchedRecord, number>, 'get'>;
}

/** A committed transaction of `records` records (over all its partitions), begun at `started` (epoch ms). */
export function recordTransaction(m: TransformerMetrics, records: number, started: number): void {
  m.transactions.inc({ result: 'commit' });
  m.batchRecords.observe(records);
  m.batchSeconds.observe((Date.now() - started) / 1000);
}

/**
 * The metrics of one partition's committed part (`messages` on `partition`), after its plan was
 * applied; the transaction itself is counted by recordTransaction.
 */
export function recordCommitted(
  m: TransformerMetrics,
  partition: number,
  dedup: Pick<DedupPartition, 'size' | 'storageBytes'>,
  plan: Plan,
  messages: readonly FetchedRecord[],
  timing: CommitTiming,
): void {
  const records = messages.length;
  m.processed.inc({ partition }, records);
  for (const [typeKey, n] of plan.emittedByType) {
    const [topic, type] = typeKey.split('\u0000') as [string, string];
    m.emitted.inc({ topic, type }, n);
  }
  for (const [reason, n] of plan.dlqByReason) m.dlq.inc({ reason }, n);
  if (plan.duplicates > 0) m.duplicates.inc(plan.duplicates);
  if (plan.skipped > 0)
    m.skipped.inc({ reason: dlqReasonOf('TRF_ERR_UNMAPPED_EVENT_TYPE') }, plan.skipped);
  m.dedupKeys.set({ partition }, dedup.size);
  m.dedupBytes.set({ partition }, dedup.storageBytes);
  recordStages(m, messages, timing);
}

/** Observes each committed record's stages (metrics.recordStage); `phases` in ms since `started`. */
function recordStages(
  m: TransformerMetrics,
  messages: readonly FetchedRecord[],
  { started, phases, fetchedAt }: CommitTiming,
): void {
  const stage = m.recordStage;
  const queueWait = stage.labels('queue_wait');
  const seconds = [
    [stage.labels('prepare'), phases.began],
    [stage.labels('send'), phases.sent - phases.began],
    [stage.labels('offsets'), phases.offsets - phases.sent],
    [stage.labels('commit'), phases.committed - phases.offsets],
  ] as const;
  for (const msg of messages) {
    const fetched = fetchedAt.get(msg);
    if (fetched !== undefined) queueWait.observe(Math.max(0, started - fetched) / 1000);
    for (const [child, ms] of seconds) child.observe(ms / 1000);
  }
}
