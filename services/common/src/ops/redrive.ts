// Redrive: republishes DLQ records to ghl.raw as they were first written (without dlq-*) plus
// `redrive-of`, for `ghl-pipeline dlq redrive` and the console's Failures page.
import type { RecordHeaders } from '../kafka/records.js';
import { isDlqHeader } from '../dlq-record.js';
import { REPLAY_HEADERS } from '../record-headers.js';
import type { OpsContext } from './context.js';
import type { DlqRecord } from './dlq-records.js';
import { progressBar, type Progress } from './progress.js';
import { rewriteHeaders } from './raw-fields.js';
import { Republisher, republishing } from './republisher.js';
import { parseRecordAddress } from './specs.js';
import { partitionBounds } from './topic-positions.js';

/** What a redrive writes for one DLQ record (`dlq redrive` and the console's preview). */
export interface RedriveMessage {
  /** The ghl.raw partition (the one named by dlq-source), when it still exists. */
  partition?: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The original headers without dlq-* (and any earlier redrive-of), plus redrive-of. */
  headers: RecordHeaders;
}

/**
 * The ghl.raw record a redrive of `r` writes: the original key, bytes and headers without dlq-*,
 * `redrive-of` = the DLQ record's address, to the partition the event failed in: the
 * transformer's dedup state is per partition, so a second redrive of the same event must meet the
 * first one there.
 */
export function redriveMessage(
  r: DlqRecord,
  rawTopic: string,
  rawPartitions: number,
): RedriveMessage {
  const source = parseRecordAddress(r.entry.source ?? '');
  const partition =
    source && source.topic === rawTopic && source.partition < rawPartitions
      ? source.partition
      : undefined;
  return {
    ...(partition !== undefined ? { partition } : {}),
    key: r.key,
    value: r.value,
    headers: rewriteHeaders(
      r.headers,
      (name) => isDlqHeader(name) || name === REPLAY_HEADERS.redriveOf,
      { [REPLAY_HEADERS.redriveOf]: r.entry.address },
    ),
  };
}

/** The outcome of a redrive (the `--json` output of `dlq redrive`). */
export interface RedriveSummary {
  dryRun: boolean;
  /** The ghl.raw topic written to. */
  topic: string;
  selected: number;
  /** Records the broker acknowledged. */
  redriven: number;
  /** Addresses (`ghl.dlq/partition/offset`) of the selected DLQ records. */
  records: string[];
  interrupted: boolean;
}

/**
 * Republishes `records` to ghl.raw (redriveMessage each), at most `rate` records/s, ticking
 * `progress` once per record queued. Stops early when the context's interrupt signal aborts
 * (`interrupted: true`). Rejects with Kafka errors.
 */
export async function redriveRecords(
  ctx: OpsContext,
  records: readonly DlqRecord[],
  opts: { dryRun: boolean; rate: number; progress?: Progress },
): Promise<RedriveSummary> {
  const { dryRun } = opts;
  const raw = await ctx.resolveTopic(ctx.names.raw);
  const rawPartitions = (await partitionBounds(await ctx.admin(), raw)).size;
  const signal = ctx.interruptSignal();
  const publisher = dryRun
    ? undefined
    : new Republisher(ctx.kafka(), raw, { rate: opts.rate, signal });
  const progress =
    opts.progress ?? progressBar(ctx.io.stderr, 'redriving', dryRun ? 0 : records.length);
  await republishing(publisher, progress, signal, async () => {
    for (const r of records) {
      if (signal.aborted) break;
      await publisher?.add(redriveMessage(r, raw, rawPartitions));
      progress.tick();
    }
  });
  return {
    dryRun,
    topic: raw,
    selected: records.length,
    redriven: publisher?.sent ?? 0,
    records: records.map((r) => r.entry.address),
    interrupted: signal.aborted,
  };
}
