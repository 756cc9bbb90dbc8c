import type { Command } from 'commander';
import { applyTopics } from '../../../common/src/topic-apply.js';
import { topicSpecs } from '../../../common/src/topics.js';
import type { CliContext } from '../context.js';
import type { Runner } from '../program.js';

export function registerTopics(program: Command, run: Runner): void {
  const topics = program
    .command('topics')
    .description('declared topics: create what is missing, show drift, describe');

  topics
    .command('apply')
    .description(
      'create missing topics from infra/topics.json and report drift on existing ones (idempotent)',
    )
    .option('--check', 'exit 1 when a topic is missing or differs (creates nothing)')
    .action((opts: { check?: boolean }) => run((ctx) => apply(ctx, opts.check ?? false)));
}

async function apply(ctx: CliContext, checkOnly: boolean): Promise<number> {
  const admin = await ctx.admin();
  const specs = topicSpecs(ctx.config.TOPIC_PREFIX, {
    partitions: ctx.config.TOPIC_PARTITIONS,
    replicationFactor: ctx.config.TOPIC_REPLICATION_FACTOR,
    minInsyncReplicas: ctx.config.TOPIC_MIN_INSYNC_REPLICAS,
  });
  if (checkOnly) {
    const existing = new Set(await admin.listTopics());
    const { describeDrift } = await import('../../../common/src/topic-apply.js');
    const drift = await describeDrift(
      admin,
      specs.filter((s) => existing.has(s.name)),
    );
    const rows = specs.map((s) => ({
      topic: s.name,
      status: !existing.has(s.name)
        ? 'missing'
        : (drift.get(s.name)?.length ?? 0) > 0
          ? 'drift'
          : 'unchanged',
      differences: drift.get(s.name) ?? [],
    }));
    ctx.print({ topics: rows }, () =>
      rows
        .map(
          (r) =>
            `${r.status.padEnd(9)} ${r.topic}${r.differences.length ? `\n            ${r.differences.join('\n            ')}` : ''}`,
        )
        .join('\n'),
    );
    return rows.every((r) => r.status === 'unchanged') ? 0 : 1;
  }
  const outcomes = await applyTopics(admin, specs);
  ctx.print({ topics: outcomes }, () =>
    outcomes
      .map((o) => {
        if (o.status === 'created')
          return `created   ${o.topic} (${o.partitions} partitions, RF ${o.replicationFactor})`;
        if (o.status === 'unchanged') return `unchanged ${o.topic}`;
        return `drift     ${o.topic}\n            ${o.differences.join('\n            ')}`;
      })
      .join('\n'),
  );
  return 0;
}
