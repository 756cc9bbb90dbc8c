// Replay: republishes a range of ghl.raw to ghl.raw with a new replay id, for `ghl-pipeline
// replay` and the console's Replay page.
import { randomUUID } from 'node:crypto';
import { REPLAY_HEADERS, recordAddress } from '../record-headers.js';
import type { OpsContext } from './context.js';
import { progressBar, type Progress } from './progress.js';
import { matchesFilter, rawFields, rewriteHeaders } from './raw-fields.js';
import { Republisher, republishing } from './republisher.js';
import type { PositionSpec } from './specs.js';
import { rangeSize, resolveRange } from './topic-positions.js';
import { readTopicRange } from '../kafka/topic-reader.js';

/** What to replay: `from` (inclusive) to `to` (exclusive, default the end now), filters, pace. */
export interface ReplayOptions {
  from: PositionSpec;
  to?: PositionSpec;
  type?: string[];
  location?: string[];
  dryRun?: boolean;
  rate: number;
}

/** The outcome of a replay (the `--json` output of `replay`). */
export interface ReplaySummary {
  /** Null on a dry run: nothing was written. */
  replayId: string | null;
  dryRun: boolean;
  topic: string;
  ranges: { partition: number; from: string; to: string }[];
  scanned: number;
  selected: number;
  skipped: number;
  /** Records the broker acknowledged. */
  republished: number;
  interrupted: boolean;
}

/**
 * Republishes the selected ghl.raw range with a new replay id (or only counts it on a dry run),
 * at most `opts.rate` records/s; `onStart` gets the replay id and the records the range holds at
 * most before the first write, `progress` ticks per record scanned. Stops early when the context's
 * interrupt signal aborts. Rejects with Kafka errors.
 */
export async function runReplay(
  ctx: OpsContext,
  opts: ReplayOptions,
  hooks: { progress?: Progress; onStart?: (replayId: string, total: number) => void } = {},
): Promise<ReplaySummary> {
  const topic = await ctx.resolveTopic(ctx.names.raw);
  const admin = await ctx.admin();
  const { ranges } = await resolveRange(admin, topic, opts.from, opts.to, (m) => ctx.warn(m));
  const dryRun = opts.dryRun ?? false;
  const replayId = randomUUID();
  const signal = ctx.interruptSignal();
  const filter = { types: opts.type, locations: opts.location };
  const counts = { scanned: 0, selected: 0, skipped: 0 };
  const publisher = dryRun
    ? undefined
    : new Republisher(ctx.kafka(), topic, { rate: opts.rate, signal });
  hooks.onStart?.(replayId, rangeSize(ranges));
  const progress =
    hooks.progress ??
    progressBar(ctx.io.stderr, dryRun ? 'scanning' : 'replaying', rangeSize(ranges));
  await republishing(publisher, progress, signal, async () => {
    const result = await readTopicRange(ctx.kafka(), {
      topic,
      ranges,
      signal,
      onRecord: async (partition, message) => {
        counts.scanned++;
        progress.tick();
        if (!matchesFilter(rawFields(message), filter)) {
          counts.skipped++;
          return true;
        }
        counts.selected++;
        await publisher?.add({
          key: message.key,
          value: message.value,
          partition,
          headers: rewriteHeaders(
            message.headers,
            (name) => name === REPLAY_HEADERS.replayId || name === REPLAY_HEADERS.replayOf,
            {
              [REPLAY_HEADERS.replayId]: replayId,
              [REPLAY_HEADERS.replayOf]: recordAddress(topic, partition, message.offset),
            },
          ),
        });
        return true;
      },
    });
    for (const p of result.incomplete)
      ctx.warn(
        `${topic} partition ${p.partition}: stopped at offset ${p.position} before ${p.end}; the rest was not readable`,
      );
  });
  return {
    replayId: dryRun ? null : replayId,
    dryRun,
    topic,
    ranges: ranges.map((r) => ({
      partition: r.partition,
      from: String(r.start),
      to: String(r.end),
    })),
    ...counts,
    republished: publisher?.sent ?? 0,
    interrupted: signal.aborted,
  };
}
