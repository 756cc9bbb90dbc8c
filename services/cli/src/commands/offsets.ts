import type { Command } from 'commander';
import { CLI_ERRORS } from '../../../common/src/errors.js';
import type { OpsContext } from '../../../common/src/ops/context.js';
import { CommandFailed, UsageError } from '../../../common/src/ops/errors.js';
import type { Runner } from '../runner.js';
import { commitGroupOffsets } from '../../../common/src/kafka/group-offsets.js';
import {
  parsePartitionOffsets,
  parseTime,
  type PositionSpec,
} from '../../../common/src/ops/specs.js';
import { asArg } from '../specs.js';
import { table } from '../table.js';
import { partitionBounds, resolvePosition } from '../../../common/src/ops/topic-positions.js';

interface ResetOptions {
  group: string;
  topic: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: number;
  toOffset?: Map<number, bigint>;
  dryRun?: boolean;
}

export function registerOffsets(program: Command, run: Runner): void {
  const offsets = program
    .command('offsets')
    .description("consumer group offsets (for downstream teams' groups)");

  offsets
    .command('reset')
    .description(
      'move the committed offsets of a consumer group on one topic; refused while the group has active members',
    )
    .requiredOption('--group <id>', 'consumer group')
    .requiredOption('--topic <topic>', 'topic (declared name like neuronx.contact, or full name)')
    .option('--to-earliest', 'every partition to its first retained offset')
    .option('--to-latest', 'every partition to its end (skip everything written so far)')
    .option(
      '--to-datetime <time>',
      'every partition to its first record at or after this time (ISO-8601; no zone = UTC; or 2h, 7d ago)',
      asArg((text) => parseTime(text)),
    )
    .option(
      '--to-offset <partition:offset,…>',
      'the listed partitions to these offsets (others unchanged)',
      asArg(parsePartitionOffsets),
    )
    .option('--dry-run', 'show the plan (current -> new per partition); change nothing')
    .addHelpText(
      'after',
      `
Stop every consumer of the group first: the group must have no active members.

Examples:
  ghl-pipeline offsets reset --group analytics --topic neuronx.contact --to-datetime 2024-06-01T00:00:00Z --dry-run
  ghl-pipeline offsets reset --group analytics --topic neuronx.contact --to-offset 0:120,3:88`,
    )
    .action((opts: ResetOptions) => run((ctx) => reset(ctx, opts)));
}

function targetOf(opts: ResetOptions): PositionSpec {
  const chosen: PositionSpec[] = [];
  if (opts.toEarliest) chosen.push({ kind: 'earliest' });
  if (opts.toLatest) chosen.push({ kind: 'latest' });
  if (opts.toDatetime !== undefined) chosen.push({ kind: 'time', ms: opts.toDatetime });
  if (opts.toOffset) chosen.push({ kind: 'offsets', offsets: opts.toOffset });
  if (chosen.length !== 1)
    throw new UsageError(
      'give exactly one of --to-earliest, --to-latest, --to-datetime <time>, --to-offset <partition:offset,…>',
    );
  return chosen[0]!;
}

async function reset(ctx: OpsContext, opts: ResetOptions): Promise<number> {
  const target = targetOf(opts);
  const topic = await ctx.resolveTopic(opts.topic);
  const admin = await ctx.admin();
  const bounds = await partitionBounds(admin, topic);
  const wanted = await resolvePosition(admin, topic, target, bounds, {
    clampLow: (p, asked, low) => {
      throw new CommandFailed(
        `offset ${asked} of ${topic} partition ${p} was deleted (first retained offset ${low})`,
      );
    },
  });
  const [current] = await admin.fetchOffsets({ groupId: opts.group, topics: [topic] });
  const currentOf = new Map(
    (current?.partitions ?? []).map((p) => [p.partition, Number(p.offset) >= 0 ? p.offset : null]),
  );
  const plan = [...wanted]
    .sort((a, b) => a[0] - b[0])
    .map(([partition, offset]) => ({
      partition,
      current: currentOf.get(partition) ?? null,
      new: String(offset),
      end: String(bounds.get(partition)!.high),
    }));

  const {
    groups: [description],
  } = await admin.describeGroups([opts.group]);
  const members = description?.members.length ?? 0;
  const refusal =
    members > 0
      ? `consumer group ${opts.group} has ${members} active member(s) (state ${description?.state}); stop its consumers, then reset`
      : undefined;
  const dryRun = opts.dryRun ?? false;
  if (refusal && !dryRun) throw new CommandFailed(refusal);
  if (!dryRun)
    await commitGroupOffsets(
      ctx.kafka(),
      opts.group,
      topic,
      plan.map((p) => ({ partition: p.partition, offset: p.new })),
    );
  ctx.print({ group: opts.group, topic, dryRun, applied: !dryRun, partitions: plan }, () =>
    [
      `${dryRun ? 'dry run: would reset' : 'reset'} group ${opts.group} on ${topic}:`,
      table(
        ['partition', 'current', 'new', 'end'],
        plan.map((p) => [p.partition, p.current, p.new, p.end]),
      ),
    ].join('\n'),
  );
  if (refusal) {
    ctx.io.stderr.write(`error: ${refusal} (this dry run changed nothing)\n`);
    return CLI_ERRORS.CLI_ERR_FAILED.exitCode;
  }
  return 0;
}
