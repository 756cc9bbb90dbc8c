import type { Admin } from 'kafkajs';
import type { Command } from 'commander';
import { CommandFailed } from '../cli-errors.js';
import type { CliContext, Runner } from '../context.js';
import { table } from '../table.js';
import { partitionBounds } from '../topic-positions.js';

/** Which group and topic `lag` reports. */
export interface LagOptions {
  group?: string;
  topic?: string;
}

export function registerLag(program: Command, run: Runner): void {
  program
    .command('lag')
    .description(
      "per-partition committed offset, end offset and lag of a consumer group (default: the transformer's group on ghl.raw)",
    )
    .option(
      '--group <id>',
      'consumer group (default: TRANSFORMER_GROUP_ID or neuronx-transformer); shows every topic it has offsets for',
    )
    .option('--topic <topic>', 'only this topic')
    .addHelpText(
      'after',
      `
Lag is end offset - committed offset. On topics written in transactions (neuronx.*, ghl.dlq) a
consumer that is fully caught up may show a lag of 1: the last offset is a commit marker.

Examples:
  ghl-pipeline lag
  ghl-pipeline lag --group analytics-contacts --json`,
    )
    .action((opts: LagOptions) => run((ctx) => lag(ctx, opts)));
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: string | null;
  end: string;
  lag: number | null;
}

/** A consumer group's lag (the `--json` output of `lag`). */
export interface GroupLag {
  group: string;
  state: string;
  members: number;
  partitions: PartitionLag[];
  totalLag: number;
  uncommittedPartitions: number;
}

async function lag(ctx: CliContext, opts: LagOptions): Promise<number> {
  const result = await groupLag(ctx, opts);
  const { group, state, partitions: rows, totalLag: total } = result;
  ctx.print(result, () =>
    [
      `group ${group}: ${state}, ${result.members} member(s)`,
      table(
        ['topic', 'partition', 'committed', 'end', 'lag'],
        rows.map((r) => [r.topic, r.partition, r.committed, r.end, r.lag]),
      ),
      `total lag ${total}${result.uncommittedPartitions ? ` (+ ${result.uncommittedPartitions} partition(s) with no committed offset)` : ''}`,
    ].join('\n'),
  );
  return 0;
}

/**
 * Committed offset, end offset (last stable offset) and lag per partition of `opts.group`
 * (default: the transformer's group, on ghl.raw). Fails (CommandFailed) for a group that does not
 * exist or has no committed offsets.
 */
export async function groupLag(ctx: CliContext, opts: LagOptions): Promise<GroupLag> {
  const admin = await ctx.admin();
  const group = opts.group ?? ctx.config.TRANSFORMER_GROUP_ID;
  const topicFilter = opts.topic
    ? await ctx.resolveTopic(opts.topic)
    : opts.group
      ? undefined
      : await ctx.resolveTopic(ctx.names.raw);
  const {
    groups: [description],
  } = await admin.describeGroups([group]);
  const committed = await committedOffsets(admin, group, topicFilter);
  const state = description?.state ?? 'Dead';
  const anyCommitted = [...committed.values()].some((m) => m.size > 0);
  if (state === 'Dead' && !anyCommitted)
    throw new CommandFailed(
      `consumer group ${group} does not exist (no members, no committed offsets)${opts.group ? '' : '; has the transformer run? (--group, or TRANSFORMER_GROUP_ID)'}`,
    );
  if (!topicFilter && committed.size === 0)
    throw new CommandFailed(`consumer group ${group} has no committed offsets`);
  const existing = new Set(await admin.listTopics());
  const gone = [...committed.keys()].filter((t) => !existing.has(t));
  if (gone.length > 0)
    ctx.warn(`${group} has offsets for deleted topic(s) ${gone.join(', ')}; left out`);
  const topics = topicFilter
    ? [topicFilter]
    : [...committed.keys()].filter((t) => existing.has(t)).sort();
  const rows: PartitionLag[] = [];
  for (const topic of topics) {
    const offsets = committed.get(topic) ?? new Map<number, bigint>();
    for (const [partition, bounds] of await partitionBounds(admin, topic)) {
      const c = offsets.get(partition);
      rows.push({
        topic,
        partition,
        committed: c === undefined ? null : String(c),
        end: String(bounds.high),
        lag: c === undefined ? null : Number(bounds.high - c),
      });
    }
  }
  const total = rows.reduce((n, r) => n + (r.lag ?? 0), 0);
  return {
    group,
    state,
    members: description?.members.length ?? 0,
    partitions: rows,
    totalLag: total,
    uncommittedPartitions: rows.filter((r) => r.committed === null).length,
  };
}

/** topic → partition → committed offset (partitions without a commit left out). */
async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string | undefined,
): Promise<Map<string, Map<number, bigint>>> {
  const fetched = await admin.fetchOffsets({ groupId, ...(topic ? { topics: [topic] } : {}) });
  const out = new Map<string, Map<number, bigint>>();
  for (const t of fetched) {
    const partitions = new Map<number, bigint>();
    for (const p of t.partitions)
      if (Number(p.offset) >= 0) partitions.set(p.partition, BigInt(p.offset));
    if (partitions.size > 0 || topic === t.topic) out.set(t.topic, partitions);
  }
  return out;
}
