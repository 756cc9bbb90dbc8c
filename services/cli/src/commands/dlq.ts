import type { Command } from 'commander';
import { CLI_ERRORS, DLQ_REASONS } from '../../../common/src/errors.js';
import { topicNames } from '../../../common/src/topics.js';
import type { OpsContext } from '../../../common/src/ops/context.js';
import { collectDlq, dlqEntry, type DlqFilter } from '../../../common/src/ops/dlq-records.js';
import { CommandFailed, UsageError } from '../../../common/src/ops/errors.js';
import { recordView } from '../../../common/src/ops/record-view.js';
import { redriveRecords } from '../../../common/src/ops/redrive.js';
import { collectList, parseRecordRef, parseTime } from '../../../common/src/ops/specs.js';
import { partitionBounds } from '../../../common/src/ops/topic-positions.js';
import type { Runner } from '../runner.js';
import { asArg, parseCount, parseRate } from '../specs.js';
import { table, truncate } from '../table.js';
import { readRecordAt } from '../../../common/src/kafka/topic-reader.js';

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

async function list(ctx: OpsContext, opts: FilterOptions): Promise<number> {
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

async function show(ctx: OpsContext, refText: string): Promise<number> {
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
  const message = await readRecordAt(
    ctx.kafka(),
    { topic, partition: ref.partition, offset: ref.offset },
    ctx.interruptSignal(),
  );
  if (!message)
    throw new CommandFailed(
      `no readable record at ${topic} ${ref.partition}:${ref.offset} (a transaction marker or an aborted write)`,
    );
  const entry = dlqEntry(topic, ref.partition, message);
  const view = await recordView(topic, ref.partition, message, undefined);
  const value = message.value;
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

async function redrive(
  ctx: OpsContext,
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
  for (const u of summary.unrecoverable) ctx.warn(`not redriven: ${u.record}: ${u.reason}`);
  return interrupted ? CLI_ERRORS.CLI_ERR_INTERRUPTED.exitCode : 0;
}
