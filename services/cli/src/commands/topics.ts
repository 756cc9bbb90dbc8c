import type { Command } from 'commander';
import {
  applyTopics,
  describeDrift,
  describeTopicConfigs,
} from '../../../common/src/kafka/topic-apply.js';
import { topicSpecs, type TopicSpec } from '../../../common/src/topics.js';
import type { OpsContext } from '../../../common/src/ops/context.js';
import type { Runner } from '../runner.js';
import { CLI_ERRORS } from '../../../common/src/errors.js';
import { table } from '../table.js';
import { partitionBounds } from '../../../common/src/ops/topic-positions.js';

export function registerTopics(program: Command, run: Runner): void {
  const topics = program
    .command('topics')
    .description('declared topics (infra/topics.json): create what is missing, list, describe');

  topics
    .command('apply')
    .description(
      'create missing topics from infra/topics.json and report drift on existing ones (idempotent)',
    )
    .option('--check', 'exit 1 when a topic is missing or differs (creates nothing)')
    .option(
      '--alter-configs',
      'also set the configs of existing topics that differ (never partitions or replication)',
    )
    .action((opts: { check?: boolean; alterConfigs?: boolean }) =>
      run((ctx) => apply(ctx, opts.check ?? false, opts.alterConfigs ?? false)),
    );

  topics
    .command('list')
    .description('the declared topics: whether they exist, partitions, what they hold')
    .action(() => run(list));

  topics
    .command('describe')
    .description('partitions, leaders, replicas, offsets and non-default configs of a topic')
    .argument('[topic]', 'a topic (declared name or full name); default: every declared topic')
    .addHelpText('after', '\nExample:\n  ghl-pipeline topics describe ghl.raw')
    .action((topic: string | undefined) => run((ctx) => describe(ctx, topic)));
}

const specsOf = (ctx: OpsContext): TopicSpec[] =>
  topicSpecs(ctx.config.TOPIC_PREFIX, {
    partitions: ctx.config.TOPIC_PARTITIONS,
    replicationFactor: ctx.config.TOPIC_REPLICATION_FACTOR,
    minInsyncReplicas: ctx.config.TOPIC_MIN_INSYNC_REPLICAS,
    maxMessageBytes: ctx.config.TOPIC_MAX_MESSAGE_BYTES,
  });

async function apply(ctx: OpsContext, checkOnly: boolean, alterConfigs: boolean): Promise<number> {
  const admin = await ctx.admin();
  const specs = specsOf(ctx);
  if (checkOnly) {
    const existing = new Set(await admin.listTopics());
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
    return rows.every((r) => r.status === 'unchanged') ? 0 : CLI_ERRORS.CLI_ERR_FAILED.exitCode;
  }
  const outcomes = await applyTopics(admin, specs, { alterConfigs });
  ctx.print({ topics: outcomes }, () =>
    outcomes
      .map((o) => {
        if (o.status === 'created')
          return `created   ${o.topic} (${o.partitions} partitions, RF ${o.replicationFactor})`;
        if (o.status === 'unchanged') return `unchanged ${o.topic}`;
        const lines = [...o.differences];
        if (o.status === 'drift' && o.fix) lines.push(`fix the configs with: ${o.fix}`);
        const label = o.status === 'drift' ? 'drift    ' : 'altered  ';
        return `${label} ${o.topic}\n            ${lines.join('\n            ')}`;
      })
      .join('\n'),
  );
  return 0;
}

async function list(ctx: OpsContext): Promise<number> {
  const admin = await ctx.admin();
  const specs = specsOf(ctx);
  const existing = new Set(await admin.listTopics());
  const present = specs.filter((s) => existing.has(s.name)).map((s) => s.name);
  const { topics } =
    present.length > 0 ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
  const rows = specs.map((s) => {
    const meta = topics.find((t) => t.name === s.name);
    return {
      key: s.key,
      topic: s.name,
      exists: existing.has(s.name),
      partitions: meta ? meta.partitions.length : null,
      declaredPartitions: s.partitions,
      replicationFactor: meta ? (meta.partitions[0]?.replicas.length ?? 0) : null,
      cleanupPolicy: s.configs['cleanup.policy'] ?? 'delete',
      description: s.description,
    };
  });
  ctx.print({ topics: rows }, () =>
    table(
      ['topic', 'exists', 'partitions', 'rf', 'policy', 'holds'],
      rows.map((r) => [
        r.topic,
        r.exists ? 'yes' : 'MISSING',
        r.partitions ?? `(${r.declaredPartitions})`,
        r.replicationFactor,
        r.cleanupPolicy,
        r.description,
      ]),
    ),
  );
  return 0;
}

async function describe(ctx: OpsContext, topic: string | undefined): Promise<number> {
  const admin = await ctx.admin();
  let names: string[];
  if (topic) names = [await ctx.resolveTopic(topic)];
  else {
    const existing = new Set(await admin.listTopics());
    names = specsOf(ctx)
      .map((s) => s.name)
      .filter((n) => existing.has(n));
  }
  if (names.length === 0) {
    ctx.print({ topics: [] }, () => 'no declared topic exists yet (ghl-pipeline topics apply)');
    return CLI_ERRORS.CLI_ERR_FAILED.exitCode;
  }
  const { topics } = await admin.fetchTopicMetadata({ topics: names });
  const topicConfigs = await describeTopicConfigs(admin, names);
  const described: TopicDescription[] = [];
  for (const name of names) {
    const meta = topics.find((t) => t.name === name);
    const bounds = await partitionBounds(admin, name);
    const partitions = (meta?.partitions ?? [])
      .slice()
      .sort((a, b) => a.partitionId - b.partitionId)
      .map((p) => {
        const b = bounds.get(p.partitionId);
        return {
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          startOffset: b ? String(b.low) : null,
          endOffset: b ? String(b.high) : null,
        };
      });
    const entries = topicConfigs.get(name) ?? [];
    const configs: Record<string, string> = {};
    for (const e of entries.filter((e) => !e.isDefault).sort(byName))
      configs[e.name] = e.isSensitive ? '(sensitive)' : e.value;
    const records = partitions.reduce(
      (n, p) =>
        n + (p.endOffset && p.startOffset ? Number(p.endOffset) - Number(p.startOffset) : 0),
      0,
    );
    described.push({ topic: name, partitions, configs, records });
  }
  ctx.print({ topics: described }, () =>
    described
      .map((d) =>
        [
          `${d.topic}  (${d.partitions.length} partitions, ~${d.records} records retained)`,
          indent(
            table(
              ['partition', 'leader', 'replicas', 'isr', 'start', 'end'],
              d.partitions.map((p) => [
                p.partition,
                p.leader,
                p.replicas.join(','),
                p.isr.join(','),
                p.startOffset,
                p.endOffset,
              ]),
            ),
          ),
          '  configs (non-default):',
          ...Object.entries(d.configs).map(([k, v]) => `    ${k}=${v}`),
        ].join('\n'),
      )
      .join('\n\n'),
  );
  return 0;
}

interface TopicDescription {
  topic: string;
  partitions: {
    partition: number;
    leader: number;
    replicas: number[];
    isr: number[];
    startOffset: string | null;
    endOffset: string | null;
  }[];
  configs: Record<string, string>;
  records: number;
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
