import type { Command } from 'commander';
import type { IHeaders } from 'kafkajs';
import { DLQ_REASONS } from '../../../common/src/errors.js';
import { isDlqHeader } from '../../../common/src/dlq-record.js';
import { REPLAY_HEADERS } from '../../../common/src/record-headers.js';
import { topicNames } from '../../../common/src/topics.js';
import { CommandFailed, UsageError } from '../cli-errors.js';
import type { CliContext, Runner } from '../context.js';
import {
  collectDlq,
  dlqEntry,
  type DlqEntry,
  type DlqFilter,
  type DlqRecord,
} from '../dlq-records.js';
import { progressBar, type Progress } from '../progress.js';
import { rewriteHeaders } from '../raw-fields.js';
import { recordView, type RecordView } from '../record-view.js';
import { Interrupted, Republisher } from '../republisher.js';
import {
  asArg,
  collectList,
  parseCount,
  parseRate,
  parseRecordAddress,
  parseRecordRef,
  parseTime,
} from '../specs.js';
import { table, truncate } from '../table.js';
import { partitionBounds } from '../topic-positions.js';
import { readTopicRange } from '../../../common/src/topic-reader.js';

interface FilterOptions {
  reason?: string[];
  since?: number;
  limit?: number;
  type?: string[];
  location?: string[];
}

const parseReasons = (text: string, previous: string[] = []): string[] => {
  const reasons = collectList(text, previous);
  const unknown = reasons.filter((r) => !(DLQ_REASONS as readonly string[]).includes(r));
  if (unknown.length > 0)
    throw new UsageError(
      `unknown DLQ reason ${unknown.join(', ')}; reasons: ${DLQ_REASONS.join(', ')}`,
    );
  return reasons;
};

function withFilters(command: Command): Command {
  return command
    .option(
      '--reason <reasons>',
      `only these reasons (comma-separated or repeated): ${DLQ_REASONS.join(', ')}`,
      asArg(parseReasons),
    )
    .option(
      '--since <time>',
      'only records written at or after: ISO-8601 time or duration ago (15m, 2h, 7d)',
      asArg((text) => parseTime(text)),
    )
    .option('--type <types>', 'only these event types (comma-separated or repeated)', collectList)
    .option(
      '--location <ids>',
      'only these GHL location ids (comma-separated or repeated)',
      collectList,
    )
    .option('--limit <n>', 'at most n records, oldest first', asArg(parseCount(1)));
}

const toFilter = (opts: FilterOptions): DlqFilter => ({
  reasons: opts.reason,
  since: opts.since,
  limit: opts.limit,
  types: opts.type,
  locations: opts.location,
});

export function registerDlq(program: Command, run: Runner): void {
  const dlq = program
    .command('dlq')
    .description('inspect and redrive the dead-letter topic ghl.dlq');

  withFilters(dlq.command('list'))
    .description('one line per DLQ record: where, when, why, which event (oldest first)')
    .addHelpText(
      'after',
      '\nExamples:\n  ghl-pipeline dlq list --reason unknown_tenant --since 2h\n  ghl-pipeline dlq list --json --limit 50',
    )
    .action((opts: FilterOptions) => run((ctx) => list(ctx, opts)));

  dlq
    .command('show')
    .description('everything about one DLQ record: dlq-* headers, original headers, exact value')
    .argument('<record>', 'partition:offset as printed by dlq list (or ghl.dlq/partition/offset)')
    .action((ref: string) => run((ctx) => show(ctx, ref)));

  withFilters(dlq.command('redrive'))
    .description(
      'republish the selected DLQ records to ghl.raw: original key, bytes and headers (without dlq-*) plus redrive-of',
    )
    .option('--dry-run', 'show what would be redriven; write nothing')
    .option('--rate <n>', 'records per second at most', asArg(parseRate), 1000)
    .addHelpText(
      'after',
      `
Fix the cause first (tenant map: ghl-pipeline tenants set; mapping policy; a transformer
release), then redrive. The transformer dedups on the event ID, so redriving the same records
twice never yields a second output.

Examples:
  ghl-pipeline dlq redrive --reason unknown_tenant --dry-run
  ghl-pipeline dlq redrive --reason unknown_tenant --location loc_123`,
    )
    .action((opts: FilterOptions & { dryRun?: boolean; rate: number }) =>
      run((ctx) => redrive(ctx, opts)),
    );
}

async function list(ctx: CliContext, opts: FilterOptions): Promise<number> {
  const entries = (await collectDlq(ctx, toFilter(opts))).map((r) => r.entry);
  ctx.print(entries, () =>
    entries.length === 0
      ? 'no DLQ records match'
      : table(
          ['record', 'failed-at', 'reason', 'stage', 'event-id', 'type', 'source', 'error'],
          entries.map((e) => [
            e.ref,
            e.failedAt,
            e.reason,
            e.stage,
            e.eventId,
            e.eventType,
            e.source,
            truncate(e.error ?? '', 80),
          ]),
        ),
  );
  return 0;
}

async function show(ctx: CliContext, refText: string): Promise<number> {
  const ref = parseRecordRef(refText);
  const topic = await ctx.resolveTopic(ctx.names.dlq);
  if (ref.topic !== undefined && ref.topic !== topic && ref.topic !== topicNames('').dlq)
    throw new UsageError(`${refText} is not a record of ${topic}`);
  const bounds = (await partitionBounds(await ctx.admin(), topic)).get(ref.partition);
  if (!bounds) throw new CommandFailed(`${topic} has no partition ${ref.partition}`);
  if (ref.offset < bounds.low || ref.offset >= bounds.high)
    throw new CommandFailed(
      `no record at ${topic} ${ref.partition}:${ref.offset} (partition ${ref.partition} holds offsets ${bounds.low}..${bounds.high - 1n})`,
    );
  let found: { entry: DlqEntry; view: RecordView; value: Buffer | null } | undefined;
  await readTopicRange(ctx.kafka(), {
    topic,
    ranges: [{ partition: ref.partition, start: ref.offset, end: ref.offset + 1n }],
    signal: ctx.interruptSignal(),
    onRecord: async (partition, message) => {
      found = {
        entry: dlqEntry(topic, partition, message),
        view: await recordView(topic, partition, message, undefined),
        value: message.value,
      };
      return false;
    },
  });
  if (!found)
    throw new CommandFailed(
      `no readable record at ${topic} ${ref.partition}:${ref.offset} (a transaction marker or an aborted write)`,
    );
  const { entry, view, value } = found;
  ctx.print({ ...entry, record: view }, () =>
    [
      `${entry.address}  (record ${entry.ref})`,
      `  failed at   ${entry.failedAt ?? '-'}  (written ${entry.timestamp})`,
      `  reason      ${entry.reason ?? '-'}  stage ${entry.stage ?? '-'}  attempts ${entry.attempts ?? '-'}`,
      `  error       ${entry.error ?? '-'}`,
      `  source      ${entry.source ?? '-'}`,
      `  event       ${entry.eventId ?? '-'}  type ${entry.eventType ?? '-'}  location ${entry.locationId ?? '-'}`,
      `  key         ${view.key ?? '(null)'}${view.keyFormat ? ` (${view.keyFormat})` : ''}`,
      'headers:',
      ...Object.entries(view.headers).map(
        ([k, v]) => `  ${k}: ${Array.isArray(v) ? v.join(' | ') : v}`,
      ),
      value === null
        ? 'value: null (tombstone)'
        : `value (${value.length} bytes, ${view.valueFormat}):\n${String(view.value)}`,
    ].join('\n'),
  );
  return 0;
}

/** What a redrive writes for one DLQ record (`dlq redrive` and the console's preview). */
export interface RedriveMessage {
  /** The ghl.raw partition (the one named by dlq-source), when it still exists. */
  partition?: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The original headers without dlq-* (and any earlier redrive-of), plus redrive-of. */
  headers: IHeaders;
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
  ctx: CliContext,
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
  try {
    await publisher?.connect();
    for (const r of records) {
      if (signal.aborted) break;
      await publisher?.add(redriveMessage(r, raw, rawPartitions));
      progress.tick();
    }
    if (!signal.aborted) await publisher?.flush();
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
  } finally {
    progress.done();
    await publisher?.close().catch(() => undefined);
  }
  return {
    dryRun,
    topic: raw,
    selected: records.length,
    redriven: publisher?.sent ?? 0,
    records: records.map((r) => r.entry.address),
    interrupted: signal.aborted,
  };
}

async function redrive(
  ctx: CliContext,
  opts: FilterOptions & { dryRun?: boolean; rate: number },
): Promise<number> {
  const records = await collectDlq(ctx, toFilter(opts));
  const dryRun = opts.dryRun ?? false;
  const summary = await redriveRecords(ctx, records, { dryRun, rate: opts.rate });
  const raw = summary.topic;
  const interrupted = summary.interrupted;
  ctx.print(summary, () =>
    dryRun
      ? records.length === 0
        ? 'dry run: no DLQ records match'
        : `dry run: would redrive ${records.length} DLQ record(s) to ${raw}:\n${table(
            ['record', 'reason', 'event-id', 'type', 'source'],
            records.map((r) => [
              r.entry.ref,
              r.entry.reason,
              r.entry.eventId,
              r.entry.eventType,
              r.entry.source,
            ]),
          )}`
      : `redriven ${summary.redriven} of ${records.length} DLQ record(s) to ${raw}${interrupted ? ' - INTERRUPTED' : ''}`,
  );
  return interrupted ? 1 : 0;
}
