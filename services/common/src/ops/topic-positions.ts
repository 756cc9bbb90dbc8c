// Turns position specs (earliest, latest, a time, partition:offset lists) into offset ranges,
// against the offsets the broker has now. End offsets are captured once, here: a command that
// writes to the topic it reads (replay) never reads its own records.
import type { Admin } from '../kafka/kafka-client.js';
import { withLeaderRetry } from '../kafka/leader-retry.js';
import { CommandFailed } from './errors.js';
import type { PositionSpec } from './specs.js';
import type { PartitionRange } from '../kafka/topic-reader.js';

export interface PartitionBounds {
  /** Log start offset. */
  low: bigint;
  /** High watermark: the next offset to be written. */
  high: bigint;
}

export async function partitionBounds(
  admin: Admin,
  topic: string,
): Promise<Map<number, PartitionBounds>> {
  const offsets = await withLeaderRetry(admin, topic, () => admin.fetchTopicOffsets(topic));
  return new Map(
    offsets
      .sort((a, b) => a.partition - b.partition)
      .map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]),
  );
}

/** Offset per partition for a spec; `offsets` specs give only the partitions they name. */
export async function resolvePosition(
  admin: Admin,
  topic: string,
  spec: PositionSpec,
  bounds: ReadonlyMap<number, PartitionBounds>,
  opts: { clampLow?: (partition: number, asked: bigint, low: bigint) => void } = {},
): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  switch (spec.kind) {
    case 'earliest':
      for (const [p, b] of bounds) out.set(p, b.low);
      return out;
    case 'latest':
      for (const [p, b] of bounds) out.set(p, b.high);
      return out;
    case 'time': {
      // Per partition: the first offset whose timestamp is >= the time, or the end when none is.
      const found = await withLeaderRetry(admin, topic, () =>
        admin.fetchTopicOffsetsByTimestamp(topic, spec.ms),
      );
      for (const o of found) {
        const b = bounds.get(o.partition);
        if (!b) continue;
        const offset = BigInt(o.offset);
        out.set(o.partition, offset < 0n || offset > b.high ? b.high : offset);
      }
      return out;
    }
    case 'offsets':
      for (const [p, offset] of spec.offsets) {
        const b = bounds.get(p);
        if (!b)
          throw new CommandFailed(
            `${topic} has no partition ${p} (partitions 0..${bounds.size - 1})`,
          );
        if (offset > b.high)
          throw new CommandFailed(
            `offset ${offset} is past the end of ${topic} partition ${p} (next offset ${b.high})`,
          );
        if (offset < b.low) {
          opts.clampLow?.(p, offset, b.low);
          out.set(p, b.low);
        } else out.set(p, offset);
      }
      return out;
  }
}

/**
 * The records to read: from `from` up to `to` (exclusive; default the end captured now). With a
 * partition:offset `from`, only the partitions it names are read.
 */
export async function resolveRange(
  admin: Admin,
  topic: string,
  from: PositionSpec,
  to: PositionSpec | undefined,
  warn: (message: string) => void,
): Promise<{ ranges: PartitionRange[]; bounds: Map<number, PartitionBounds> }> {
  const bounds = await partitionBounds(admin, topic);
  const clampLow = (p: number, asked: bigint, low: bigint) =>
    warn(
      `${topic} partition ${p} starts at offset ${low} (older records were deleted); reading from there instead of ${asked}`,
    );
  const starts = await resolvePosition(admin, topic, from, bounds, { clampLow });
  const stops = to ? await resolvePosition(admin, topic, to, bounds, { clampLow }) : undefined;
  const ranges: PartitionRange[] = [];
  for (const [partition, start] of [...starts].sort((a, b) => a[0] - b[0])) {
    const high = bounds.get(partition)!.high;
    const stop = stops?.get(partition) ?? high;
    const end = stop < high ? stop : high;
    ranges.push({ partition, start, end: end > start ? end : start });
  }
  return { ranges, bounds };
}

/** Records a range holds at most (progress totals; transaction markers make the real count lower). */
export const rangeSize = (ranges: readonly PartitionRange[]): number =>
  ranges.reduce((n, r) => n + Number((r.end ?? r.start) - r.start), 0);
