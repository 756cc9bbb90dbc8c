import type { Command } from 'commander';
import { CLI_ERRORS } from '../../../common/src/errors.js';
import type { OpsContext } from '../../../common/src/ops/context.js';
import { runReplay, type ReplayOptions } from '../../../common/src/ops/replay.js';
import { collectList, parsePosition } from '../../../common/src/ops/specs.js';
import type { Runner } from '../runner.js';
import { asArg, parseRate } from '../specs.js';

export function registerReplay(program: Command, run: Runner): void {
  program
    .command('replay')
    .description(
      'republish a range of ghl.raw to ghl.raw with replay-id/replay-of headers, so the transformer emits those events once more despite dedup',
    )
    .requiredOption(
      '--from <position>',
      'ISO-8601 time | duration ago (2h) | partition:offset[,…] (only those partitions) | earliest',
      asArg((text) => parsePosition(text)),
    )
    .option(
      '--to <position>',
      'exclusive end: ISO-8601 time | partition:offset[,…] (default: the end when the command starts)',
      asArg((text) => parsePosition(text)),
    )
    .option(
      '--type <types>',
      'only these event types (event-type header; comma-separated or repeated)',
      collectList,
    )
    .option(
      '--location <ids>',
      'only these GHL location ids (comma-separated or repeated)',
      collectList,
    )
    .option('--dry-run', 'count what would be replayed; write nothing')
    .option('--rate <n>', 'records per second at most', asArg(parseRate), 1000)
    .addHelpText(
      'after',
      `
Each run gets a new replay id; the transformer dedups on replay id + event ID, so every run emits
the selected events exactly once more. The end is captured at start: the command never re-reads
what it writes.

Examples:
  ghl-pipeline replay --from 2024-06-01T10:00:00Z --to 2024-06-01T11:00:00Z --dry-run
  ghl-pipeline replay --from 0:1200,1:1187 --type ContactCreate,contact.created --rate 200
  ghl-pipeline replay --from 6h --location ve9EPM428h8vShlRW1KT`,
    )
    .action((opts: ReplayOptions) => run((ctx) => replay(ctx, opts)));
}

async function replay(ctx: OpsContext, opts: ReplayOptions): Promise<number> {
  const summary = await runReplay(ctx, opts);
  const { dryRun, interrupted } = summary;
  ctx.print(summary, () =>
    dryRun
      ? `dry run: ${summary.selected} record(s) would be replayed (${summary.scanned} scanned, ${summary.skipped} skipped by filter); nothing written`
      : `replay ${summary.replayId}: republished ${summary.republished} of ${summary.selected} selected record(s) to ${summary.topic} (${summary.scanned} scanned, ${summary.skipped} skipped by filter)${interrupted ? ' - INTERRUPTED' : ''}`,
  );
  return interrupted ? CLI_ERRORS.CLI_ERR_INTERRUPTED.exitCode : 0;
}
