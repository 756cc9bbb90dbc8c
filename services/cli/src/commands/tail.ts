import { Option, type Command } from 'commander';
import { DOMAIN_KEYS } from '../../../common/src/topics.js';
import type { OpsContext } from '../../../common/src/ops/context.js';
import { recordView } from '../../../common/src/ops/record-view.js';
import { parsePosition, type PositionSpec } from '../../../common/src/ops/specs.js';
import { resolveRange } from '../../../common/src/ops/topic-positions.js';
import type { Runner } from '../runner.js';
import { asArg, parseCount } from '../specs.js';
import { readTopicRange } from '../../../common/src/kafka/topic-reader.js';

interface TailOptions {
  from: PositionSpec;
  limit?: number;
  follow?: boolean;
}

export function registerTail(program: Command, run: Runner): void {
  program
    .command('tail')
    .description(
      'print records of a topic as JSON (read_committed): Avro values of neuronx.* decoded through the registry, raw/DLQ values as exact text, headers as strings, tombstones as null',
    )
    .argument('<topic>', 'declared name (neuronx.contact, ghl.raw, ghl.dlq …) or full topic name')
    .addOption(
      new Option(
        '--from <position>',
        'earliest | latest | ISO-8601 time | duration ago (15m, 2h) | partition:offset[,…] (only those partitions)',
      )
        .argParser(asArg((text) => parsePosition(text)))
        .default({ kind: 'earliest' }, 'earliest'),
    )
    .option('--limit <n>', 'stop after n records', asArg(parseCount(1)))
    .option('-f, --follow', 'keep waiting for new records (until --limit or Ctrl-C)')
    .addHelpText(
      'after',
      `
Without --follow it stops at the end offsets captured at start. With --json: one record per line.

Examples:
  ghl-pipeline tail neuronx.contact --json
  ghl-pipeline tail ghl.raw --from 2024-06-01T10:00:00Z --limit 20
  ghl-pipeline tail ghl.dlq --from 0:120,1:98
  ghl-pipeline tail neuronx.opportunity --from latest --follow`,
    )
    .action((topic: string, opts: TailOptions) => run((ctx) => tail(ctx, topic, opts)));
}

async function tail(ctx: OpsContext, topicArg: string, opts: TailOptions): Promise<number> {
  const topic = await ctx.resolveTopic(topicArg);
  const admin = await ctx.admin();
  const { ranges } = await resolveRange(admin, topic, opts.from, undefined, (m) => ctx.warn(m));
  const reading = opts.follow
    ? ranges.map((r) => ({ partition: r.partition, start: r.start }))
    : ranges;
  const avro = DOMAIN_KEYS.some((d) => ctx.names[d] === topic);
  const registry = avro ? ctx.registry() : undefined;
  const limit = opts.limit ?? Infinity;
  let printed = 0;
  const result = await readTopicRange(ctx.kafka(), {
    topic,
    ranges: reading,
    signal: ctx.interruptSignal(),
    // Partitions are read concurrently: a record decoded while another partition reached the
    // limit is not printed (the limit was exceeded by up to a partition's worth under load).
    onRecord: async (partition, message) => {
      if (printed >= limit) return false;
      const view = await recordView(topic, partition, message, registry);
      if (printed >= limit) return false;
      ctx.io.stdout.write(`${ctx.json ? JSON.stringify(view) : JSON.stringify(view, null, 2)}\n`);
      printed++;
      return printed < limit;
    },
  });
  for (const p of result.incomplete)
    ctx.warn(
      `${topic} partition ${p.partition}: stopped at offset ${p.position}, before the end captured at start (${p.end}); the rest is not readable yet (open transaction?)`,
    );
  return 0;
}
