// A consumer group's lag per partition, for `ghl-pipeline lag` and the console's Overview.
import type { Admin } from '../kafka/kafka-client.js';
import type { OpsContext } from './context.js';
import { CommandFailed } from './errors.js';
import { partitionBounds } from './topic-positions.js';

/** Which group and topic `lag` reports. */
export interface LagOptions {
  group?: string;
  topic?: string;
}

/** One partition of a GroupLag: offsets as decimal strings; null where nothing is committed. */
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

/**
 * Committed offset, end offset (last stable offset) and lag per partition of `opts.group`
 * (default: the transformer's group, on ghl.raw). Fails (CommandFailed) for a group that does not
 * exist or has no committed offsets.
 */
export async function groupLag(ctx: OpsContext, opts: LagOptions): Promise<GroupLag> {
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
