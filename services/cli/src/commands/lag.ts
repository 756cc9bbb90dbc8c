import type { Command } from 'commander';
import type { OpsContext } from '../../../common/src/ops/context.js';
import { groupLag, type LagOptions } from '../../../common/src/ops/group-lag.js';
import type { Runner } from '../runner.js';
import { table } from '../table.js';

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

async function lag(ctx: OpsContext, opts: LagOptions): Promise<number> {
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
