// The Failures page: DLQ records grouped by reason and event type, like a webhook gateway's
// "issues". A DLQ record stays in ghl.dlq after a redrive (Kafka is append-only), so a record
// counts as open until ghl.raw holds a redrive of it (`redrive-of` = its address); a redrive that
// fails again leaves a new DLQ record, which is open.
import { REPLAY_HEADERS, headerOf } from '../../common/src/record-headers.js';
import { readTopicRange } from '../../common/src/kafka/topic-reader.js';
import type { OpsContext } from '../../common/src/ops/context.js';
import { collectDlq, type DlqRecord } from '../../common/src/ops/dlq-records.js';
import { parseRecordAddress } from '../../common/src/ops/specs.js';
import { partitionBounds, resolvePosition } from '../../common/src/ops/topic-positions.js';
import { displayBody } from './masking.js';

/** One group of open DLQ records. `eventType` null: records without one (e.g. invalid JSON). */
export interface FailureGroup {
  reason: string | null;
  eventType: string | null;
  count: number;
  /** ISO-8601 record times of the oldest and newest record. */
  firstSeen: string;
  lastSeen: string;
  sample: {
    address: string;
    eventId: string | null;
    stage: string | null;
    error: string | null;
    body: string | null;
  };
}

/** Selects a group: its reason and event type (null = records without one). */
export interface GroupSelector {
  reason: string | null;
  eventType: string | null;
  /** Epoch millis: DLQ records written at or after. */
  since: number;
}

/**
 * Addresses of the DLQ records among `records` that ghl.raw holds a redrive of. Reads only the
 * ghl.raw partitions their dlq-source names, from the oldest record's time on.
 */
export async function redrivenAddresses(
  ctx: OpsContext,
  records: readonly DlqRecord[],
): Promise<Set<string>> {
  const done = new Set<string>();
  if (records.length === 0) return done;
  const raw = await ctx.resolveTopic(ctx.names.raw);
  const admin = await ctx.admin();
  const bounds = await partitionBounds(admin, raw);
  const partitions = new Set<number>();
  for (const r of records) {
    const source = parseRecordAddress(r.entry.source ?? '');
    if (source && source.topic === raw && bounds.has(source.partition))
      partitions.add(source.partition);
  }
  if (partitions.size === 0) return done;
  const oldest = Math.min(...records.map((r) => Date.parse(r.entry.timestamp)));
  const starts = await resolvePosition(admin, raw, { kind: 'time', ms: oldest }, bounds);
  const wanted = new Set(records.map((r) => r.entry.address));
  await readTopicRange(ctx.kafka(), {
    topic: raw,
    ranges: [...partitions].map((p) => ({
      partition: p,
      start: starts.get(p) ?? 0n,
      end: bounds.get(p)!.high,
    })),
    signal: ctx.interruptSignal(),
    onRecord: (_p, m) => {
      const of = headerOf(m.headers, REPLAY_HEADERS.redriveOf);
      if (of !== undefined && wanted.has(of)) done.add(of);
      return true;
    },
  });
  return done;
}

/** The open DLQ records since `since` (epoch millis), oldest first. */
export async function openDlqRecords(ctx: OpsContext, since: number): Promise<DlqRecord[]> {
  const records = await collectDlq(ctx, { since });
  const redriven = await redrivenAddresses(ctx, records);
  return records.filter((r) => !redriven.has(r.entry.address));
}

const groupKey = (reason: string | null, type: string | null) => JSON.stringify([reason, type]);

/** Open records grouped by reason and event type, biggest group first; samples masked. */
export function groupFailures(records: readonly DlqRecord[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const r of records) {
    const key = groupKey(r.entry.reason, r.entry.eventType);
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.lastSeen = r.entry.timestamp;
      continue;
    }
    groups.set(key, {
      reason: r.entry.reason,
      eventType: r.entry.eventType,
      count: 1,
      firstSeen: r.entry.timestamp,
      lastSeen: r.entry.timestamp,
      sample: {
        address: r.entry.address,
        eventId: r.entry.eventId,
        stage: r.entry.stage,
        error: r.entry.error,
        body: displayBody(r.value?.toString('utf8'), false),
      },
    });
  }
  return [...groups.values()].sort(
    (a, b) => b.count - a.count || a.firstSeen.localeCompare(b.firstSeen),
  );
}

/** The open records of one group. */
export const inGroup = (records: readonly DlqRecord[], g: GroupSelector): DlqRecord[] =>
  records.filter((r) => r.entry.reason === g.reason && r.entry.eventType === g.eventType);
