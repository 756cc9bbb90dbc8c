// Redrive: republishes DLQ records to ghl.raw as they were first written (without dlq-*) plus
// `redrive-of`, for `ghl-pipeline dlq redrive` and the console's Failures page. A DLQ record
// written truncated holds only part of the event: its redrive takes the whole record from ghl.raw
// (`dlq-source`), or is skipped when ghl.raw no longer has it.
import type { RecordHeaders } from '../kafka/records.js';
import { isDlqHeader, parseDlqHeaders } from '../dlq-record.js';
import { readRecordAt } from '../kafka/topic-reader.js';
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

/** A selected DLQ record a redrive cannot write (the `unrecoverable` of RedriveSummary). */
export interface Unrecoverable {
  /** `ghl.dlq/partition/offset`. */
  record: string;
  /** Why, e.g. that ghl.raw no longer holds the record the truncated copy came from. */
  reason: string;
}

/**
 * `records` as a redrive writes them: each DLQ record written truncated (`dlq-truncated`) with
 * the key, bytes and headers of the whole ghl.raw record its `dlq-source` names, read
 * read_committed from ghl.raw. One whose source ghl.raw no longer holds (retention, another
 * topic) is left out and listed in `unrecoverable`: redriving the truncated bytes would fail the
 * event as `invalid_json` and lose what the DLQ record still says of it. Rejects with Kafka errors.
 */
export async function restoreTruncated(
  ctx: OpsContext,
  records: readonly DlqRecord[],
  rawTopic: string,
): Promise<{ records: DlqRecord[]; unrecoverable: Unrecoverable[] }> {
  const restored: DlqRecord[] = [];
  const unrecoverable: Unrecoverable[] = [];
  for (const r of records) {
    const size = parseDlqHeaders(r.headers).truncated;
    if (size === null) {
      restored.push(r);
      continue;
    }
    const source = parseRecordAddress(r.entry.source ?? '');
    const original =
      source && source.topic === rawTopic
        ? await readRecordAt(ctx.kafka(), source, ctx.interruptSignal())
        : undefined;
    if (original?.value?.length === size)
      restored.push({ ...r, key: original.key, value: original.value, headers: original.headers });
    else
      unrecoverable.push({
        record: r.entry.address,
        reason: `written truncated, and ${r.entry.source ?? 'its dlq-source'} no longer holds the ${size} bytes`,
      });
  }
  return { records: restored, unrecoverable };
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
  /** Selected records not written, and why (restoreTruncated). */
  unrecoverable: Unrecoverable[];
  interrupted: boolean;
}

/**
 * Republishes `records` to ghl.raw (redriveMessage each, truncated ones restored from ghl.raw
 * first: restoreTruncated), at most `rate` records/s, ticking `progress` once per record queued.
 * Stops early when the context's interrupt signal aborts (`interrupted: true`). Rejects with
 * Kafka errors.
 */
export async function redriveRecords(
  ctx: OpsContext,
  records: readonly DlqRecord[],
  opts: { dryRun: boolean; rate: number; progress?: Progress },
): Promise<RedriveSummary> {
  const { dryRun } = opts;
  const raw = await ctx.resolveTopic(ctx.names.raw);
  const rawPartitions = (await partitionBounds(await ctx.admin(), raw)).size;
  const { records: writable, unrecoverable } = await restoreTruncated(ctx, records, raw);
  const signal = ctx.interruptSignal();
  const publisher = dryRun
    ? undefined
    : new Republisher(ctx.kafka(), raw, { rate: opts.rate, signal });
  const progress =
    opts.progress ?? progressBar(ctx.io.stderr, 'redriving', dryRun ? 0 : writable.length);
  await republishing(publisher, progress, signal, async () => {
    for (const r of writable) {
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
    unrecoverable,
    interrupted: signal.aborted,
  };
}
