// Reading ghl.dlq for `dlq list|show|redrive`: each record with its dlq-* headers parsed by the
// shared DLQ record format (services/common/src/dlq-record.ts); the console's Failures page reads
// it the same way.
import type { FetchedRecord, RecordHeaders } from '../kafka/records.js';
import { parseDlqHeaders } from '../dlq-record.js';
import { recordAddress } from '../record-headers.js';
import type { OpsContext } from './context.js';
import { progressBar } from './progress.js';
import { matchesFilter, rawFields, type RecordFilter } from './raw-fields.js';
import { resolveRange } from './topic-positions.js';
import { readTopicRange } from '../kafka/topic-reader.js';

export interface DlqEntry {
  /** `partition:offset`, what `dlq show` takes. */
  ref: string;
  partition: number;
  offset: string;
  /** `ghl.dlq/partition/offset`, what `redrive-of` holds. */
  address: string;
  timestamp: string;
  failedAt: string | null;
  reason: string | null;
  stage: string | null;
  attempts: number | null;
  error: string | null;
  /** `topic/partition/offset` of the ghl.raw record that failed. */
  source: string | null;
  eventId: string | null;
  eventType: string | null;
  locationId: string | null;
}

export interface DlqRecord {
  entry: DlqEntry;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders | undefined;
}

export interface DlqFilter extends RecordFilter {
  reasons?: readonly string[];
  /** Epoch millis: records written at or after. */
  since?: number;
  limit?: number;
}

export function dlqEntry(topic: string, partition: number, message: FetchedRecord): DlqEntry {
  const dlq = parseDlqHeaders(message.headers);
  const fields = rawFields(message);
  return {
    ref: `${partition}:${message.offset}`,
    partition,
    offset: message.offset,
    address: recordAddress(topic, partition, message.offset),
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    failedAt: dlq.failedAt,
    reason: dlq.reason,
    stage: dlq.stage,
    attempts: dlq.attempts,
    error: dlq.error,
    source: dlq.source,
    eventId: fields.eventId ?? null,
    eventType: fields.eventType ?? null,
    locationId: fields.locationId ?? null,
  };
}

/**
 * The DLQ records matching `filter`, oldest first (record time, then partition and offset), at
 * most `limit`. Reads ghl.dlq from `since` (or the start) to the end captured now.
 */
export async function collectDlq(ctx: OpsContext, filter: DlqFilter): Promise<DlqRecord[]> {
  const topic = await ctx.resolveTopic(ctx.names.dlq);
  const admin = await ctx.admin();
  const from =
    filter.since !== undefined
      ? ({ kind: 'time', ms: filter.since } as const)
      : ({ kind: 'earliest' } as const);
  const { ranges } = await resolveRange(admin, topic, from, undefined, (m) => ctx.warn(m));
  const total = ranges.reduce((n, r) => n + Number((r.end ?? r.start) - r.start), 0);
  const progress = progressBar(ctx.io.stderr, 'reading DLQ', total);
  const out: DlqRecord[] = [];
  try {
    const result = await readTopicRange(ctx.kafka(), {
      topic,
      ranges,
      signal: ctx.interruptSignal(),
      onRecord: (partition, message) => {
        progress.tick();
        const entry = dlqEntry(topic, partition, message);
        if (filter.since !== undefined && Number(message.timestamp) < filter.since) return true;
        if (filter.reasons?.length && !filter.reasons.includes(entry.reason ?? '')) return true;
        if (
          !matchesFilter(
            {
              eventType: entry.eventType ?? undefined,
              locationId: entry.locationId ?? undefined,
            },
            filter,
          )
        )
          return true;
        out.push({ entry, key: message.key, value: message.value, headers: message.headers });
        return true;
      },
    });
    for (const p of result.incomplete)
      ctx.warn(
        `${topic} partition ${p.partition}: stopped at offset ${p.position} before ${p.end}`,
      );
  } finally {
    progress.done();
  }
  out.sort(
    (a, b) =>
      a.entry.timestamp.localeCompare(b.entry.timestamp) ||
      a.entry.partition - b.entry.partition ||
      Number(BigInt(a.entry.offset) - BigInt(b.entry.offset)),
  );
  return filter.limit !== undefined ? out.slice(0, filter.limit) : out;
}
