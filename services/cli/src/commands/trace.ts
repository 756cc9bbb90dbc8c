import type { Command } from 'commander';
import { CLI_ERRORS } from '../../../common/src/errors.js';
import type { OpsContext } from '../../../common/src/ops/context.js';
import { UsageError } from '../../../common/src/ops/errors.js';
import { collectList, parseTime } from '../../../common/src/ops/specs.js';
import { traceEvents } from '../../../common/src/ops/trace.js';
import type { LineageStep, TraceResult } from '../../../common/src/ops/trace-types.js';
import type { Runner } from '../runner.js';
import { asArg, parseCount } from '../specs.js';
import { table, truncate } from '../table.js';

interface TraceOptions {
  contact?: string;
  location?: string;
  type?: string[];
  since?: number;
  until?: number;
  window?: number;
  limit?: number;
  values?: boolean;
}

const parseMinutes = (text: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--output-window must be minutes > 0, got "${text}"`);
  return n * 60_000;
};

export function registerTrace(program: Command, run: Runner): void {
  program
    .command('trace')
    .description(
      'lineage of events: their ghl.raw records (deliveries, replays, redrives), outputs and DLQ records, in time order, with what was read to find them',
    )
    .argument('[eventId]', 'the event ID (ghl.raw key, ce_id of its outputs)')
    .option('--contact <id>', "a contact's events: its neuronx.contact outputs and their lineage")
    .option('--location <id>', 'only events of this GHL location')
    .option('--type <types>', 'only these event types (comma-separated or repeated)', collectList)
    .option(
      '--since <time>',
      'ghl.raw records at or after: ISO-8601 or duration ago (default: the partition start for an event ID, else 24h)',
      asArg((text) => parseTime(text)),
    )
    .option(
      '--until <time>',
      'ghl.raw records before: ISO-8601 or duration ago (default: now)',
      asArg((text) => parseTime(text)),
    )
    .option(
      '--output-window <minutes>',
      'how long after its raw record an output or DLQ record is looked for (default 10)',
      asArg(parseMinutes),
    )
    .option('--limit <n>', 'at most n events (default 200)', asArg(parseCount(1)))
    .option('--values', 'with --json: raw bodies and decoded output values too')
    .addHelpText(
      'after',
      `
ghl.raw and ghl.dlq are keyed by the event ID and outputs by entity id, so an event ID reads one
partition of ghl.raw and of ghl.dlq, a contact one partition of neuronx.contact; every read is
bounded in time (offsets-for-times). What was read is printed after the lineage.

Examples:
  ghl-pipeline trace evt_123
  ghl-pipeline trace evt_123 --since 2024-06-01T10:00:00Z --until 2024-06-01T11:00:00Z --json
  ghl-pipeline trace --contact ct_42 --since 7d
  ghl-pipeline trace --location ve9EPM428h8vShlRW1KT --type ContactCreate --since 2h`,
    )
    .action((eventId: string | undefined, opts: TraceOptions) =>
      run((ctx) => trace(ctx, eventId, opts)),
    );
}

async function trace(
  ctx: OpsContext,
  eventId: string | undefined,
  opts: TraceOptions,
): Promise<number> {
  if (eventId === undefined && !opts.contact && !opts.location && !opts.type?.length)
    throw new UsageError('give an event ID, or --contact, --location or --type');
  if (opts.since !== undefined && opts.until !== undefined && opts.until <= opts.since)
    throw new UsageError('--until must be after --since');
  const result = await traceEvents(ctx, {
    ...(eventId !== undefined ? { eventId } : {}),
    ...(opts.contact ? { contactId: opts.contact } : {}),
    ...(opts.location ? { locationId: opts.location } : {}),
    ...(opts.type ? { types: opts.type } : {}),
    ...(opts.since !== undefined ? { since: opts.since } : {}),
    ...(opts.until !== undefined ? { until: opts.until } : {}),
    ...(opts.window !== undefined ? { outputWindowMs: opts.window } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    values: ctx.json && (opts.values ?? false),
  });
  ctx.print(result, () => human(result));
  return eventId !== undefined && result.events.length === 0
    ? CLI_ERRORS.CLI_ERR_FAILED.exitCode
    : 0;
}

const describe = (s: LineageStep): string => {
  switch (s.kind) {
    case 'output':
      return `${s.neuronxType ?? '-'} key ${s.key ?? '-'} tenant ${s.tenantId ?? '-'}`;
    case 'dlq':
      return `${s.reason ?? '-'} at ${s.stage ?? '-'} (${s.attempts ?? '-'} attempt(s)): ${truncate(s.error ?? '', 60)}`;
    default:
      return [
        `received ${s.receivedAt ?? '-'}`,
        `request ${s.requestId ?? '-'}`,
        s.signatureScheme ?? '-',
        `${s.contentBytes} B`,
        s.source ? `of ${s.source}` : '',
        s.processed === false ? 'NOT PROCESSED YET' : '',
      ]
        .filter(Boolean)
        .join(', ');
  }
};

function human(result: TraceResult): string {
  const lines: string[] = [];
  if (result.events.length === 0) lines.push('no matching records found');
  for (const e of result.events) {
    lines.push(`event ${e.eventId}  type ${e.eventType ?? '-'}  location ${e.locationId ?? '-'}`);
    lines.push(
      table(
        ['time', 'step', 'record', 'details'],
        e.steps.map((s) => [s.time, s.kind, `${s.topic}/${s.partition}/${s.offset}`, describe(s)]),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  if (result.truncated > 0) lines.push(`(${result.truncated} more event(s); --limit)`);
  lines.push(
    `scanned ${result.totals.records} record(s), ${result.totals.bytes} bytes in ${result.totals.ms} ms:`,
  );
  for (const s of result.scanned)
    lines.push(
      `  ${s.topic} ${s.ranges.map((r) => `${r.partition}:${r.from}-${r.to}`).join(',')}  ${s.records} record(s), ${s.bytes} B  (${s.why})`,
    );
  return lines.join('\n');
}
