// Lineage of GHL deliveries: every ghl.raw record of an event (deliveries, redeliveries, replays,
// redrives), every output it became, every DLQ record it left, in time order, found without an
// index and without reading whole topics:
//
// - ghl.raw and ghl.dlq are keyed by the event ID and written with the murmur2 partitioner
//   (services/common/src/kafka/partitioner.ts), so one event lives in one known partition of each;
// - outputs are keyed by entity id: a contact's lineage reads one partition of neuronx.contact;
// - every read is bounded in time with offsets-for-times (the first offset at or after a time),
//   and an output or DLQ record is written by the transaction that read its raw record, so it is
//   stamped at or after that record (within `outputWindowMs` unless the transformer lagged).
//
// Each read is reported (topic, partitions, offsets, records and bytes), so "not found" always
// says where it looked.
import type { FetchedRecord } from '../kafka/records.js';
import { recordFacts } from '../raw-record.js';
import { OUTPUT_HEADERS, headerOf } from '../record-headers.js';
import { DOMAIN_KEYS, keyOf } from '../topics.js';
import { partitionOfKey } from '../kafka/partitioner.js';
import { readTopicRange, type PartitionRange } from '../kafka/topic-reader.js';
import type { OpsContext } from './context.js';
import { matchesFilter } from './raw-fields.js';
import { partitionBounds, resolvePosition, type PartitionBounds } from './topic-positions.js';
import { messageBytes, needleOf } from './trace-reads.js';
import {
  bodyNamesContact,
  dlqStep,
  outputStep,
  rawStep,
  transformerCommitted,
} from './trace-steps.js';
import type { EventLineage, ScanReport, TraceQuery, TraceResult } from './trace-types.js';

const DEFAULT_OUTPUT_WINDOW_MS = 10 * 60_000;
/** Searches without an event ID and without `since` look this far back. */
export const DEFAULT_SEARCH_WINDOW_MS = 24 * 60 * 60_000;

/**
 * Traces events (TraceQuery) across ghl.raw, the neuronx.* outputs and ghl.dlq. With an event ID
 * only that event's partitions are read; with a contact id, one partition of neuronx.contact;
 * otherwise every partition of ghl.raw in the time window (default the last 24 h). Rejects with
 * Kafka errors; unknown topics fail through `ctx.resolveTopic`.
 */
export async function traceEvents(ctx: OpsContext, query: TraceQuery): Promise<TraceResult> {
  const started = Date.now();
  const admin = await ctx.admin();
  const rawTopic = await ctx.resolveTopic(ctx.names.raw);
  const dlqTopic = await ctx.resolveTopic(ctx.names.dlq);
  const outputTopics = await Promise.all(DOMAIN_KEYS.map((d) => ctx.resolveTopic(ctx.names[d])));
  const windowMs = query.outputWindowMs ?? DEFAULT_OUTPUT_WINDOW_MS;
  const multi = query.eventId === undefined;
  const since = query.since ?? (multi ? started - DEFAULT_SEARCH_WINDOW_MS : undefined);
  const scanned: ScanReport[] = [];
  const boundsCache = new Map<string, Promise<Map<number, PartitionBounds>>>();
  const bounds = (topic: string) => {
    let b = boundsCache.get(topic);
    if (!b) {
      boundsCache.set(topic, (b = partitionBounds(admin, topic)));
      b.catch(() => undefined); // awaited where used
    }
    return b;
  };
  // Asked now, used later: the partitions' bounds of every topic the trace may read, and how far
  // the transformer has committed (round trips that would otherwise follow the ghl.raw read).
  for (const topic of [rawTopic, dlqTopic, ...outputTopics]) void bounds(topic);
  const committedSoon = transformerCommitted(ctx, rawTopic);
  committedSoon.catch(() => undefined);
  /** Offsets [from, to) of `partitions` (all when undefined) between two times. */
  const rangesFor = async (
    topic: string,
    partitions: readonly number[] | undefined,
    fromMs: number | undefined,
    toMs: number | undefined,
  ): Promise<PartitionRange[]> => {
    const b = await bounds(topic);
    const at = async (ms: number | undefined, fallback: 'low' | 'high') =>
      ms === undefined
        ? new Map([...b].map(([p, x]) => [p, x[fallback]]))
        : resolvePosition(admin, topic, { kind: 'time', ms }, b);
    const [starts, ends] = await Promise.all([at(fromMs, 'low'), at(toMs, 'high')]);
    return (partitions ?? [...b.keys()]).map((partition) => {
      const start = starts.get(partition) ?? b.get(partition)?.high ?? 0n;
      const end = ends.get(partition) ?? b.get(partition)?.high ?? 0n;
      return { partition, start, end: end > start ? end : start };
    });
  };
  /**
   * Reads ranges, reports them, hands each record to `keep`; with `needle`, only the records
   * whose bytes contain it (the event ID or contact id that `keep` then checks exactly).
   */
  const scan = async (
    topic: string,
    why: string,
    ranges: PartitionRange[],
    keep: (partition: number, m: FetchedRecord) => void | Promise<void>,
    needle?: string,
  ) => {
    const report: ScanReport = {
      topic,
      why,
      ranges: ranges.map((r) => ({
        partition: r.partition,
        from: String(r.start),
        to: String(r.end),
      })),
      records: 0,
      bytes: 0,
      ms: 0,
    };
    scanned.push(report);
    const t0 = Date.now();
    let seen = 0;
    let seenBytes = 0;
    const result = await readTopicRange(ctx.kafka(), {
      topic,
      ranges,
      signal: ctx.interruptSignal(),
      needle: needleOf(needle),
      onRecord: async (partition, m) => {
        seen++;
        seenBytes += messageBytes(m);
        await keep(partition, m);
        return true;
      },
    });
    report.records = result.scanned?.records ?? seen;
    report.bytes = result.scanned?.bytes ?? seenBytes;
    report.ms = Date.now() - t0;
    for (const p of result.incomplete)
      ctx.warn(
        `${topic} partition ${p.partition}: stopped at offset ${p.position} before ${p.end}`,
      );
  };

  const raw = new Map<string, { m: FetchedRecord; partition: number }[]>();
  const outputs: { partition: number; topic: string; m: FetchedRecord; eventId: string }[] = [];
  const dlq: { partition: number; m: FetchedRecord; eventId: string }[] = [];
  const wanted = new Set<string>();
  const rawFilter = {
    types: query.types,
    locations: query.locationId ? [query.locationId] : undefined,
  };
  const addRaw = (partition: number, m: FetchedRecord, only?: ReadonlySet<string>) => {
    const facts = recordFacts(m);
    const id = facts.eventId;
    if (id === undefined || (only && !only.has(id)) || !matchesFilter(facts, rawFilter)) return;
    const list = raw.get(id) ?? [];
    list.push({ m, partition });
    raw.set(id, list);
  };
  const rawPartitions = (await bounds(rawTopic)).size;
  const dlqPartitions = (await bounds(dlqTopic)).size;

  // 1. Which events, and their ghl.raw records.
  if (query.eventId !== undefined) {
    wanted.add(query.eventId);
    const p = partitionOfKey(query.eventId, rawPartitions);
    await scan(
      rawTopic,
      `event ID -> partition ${p}`,
      await rangesFor(rawTopic, [p], since, query.until),
      (partition, m) => addRaw(partition, m, wanted),
      query.eventId,
    );
  } else if (query.contactId !== undefined) {
    const topic = await ctx.resolveTopic(ctx.names.contact);
    // The contact topic's key rule (its key fields, infra/topics.json) applied to the contact id.
    const contactKey = keyOf('contact', { contactId: query.contactId });
    const p = partitionOfKey(contactKey, (await bounds(topic)).size);
    const until = query.until === undefined ? undefined : query.until + windowMs;
    await scan(
      topic,
      `contact id -> partition ${p}`,
      await rangesFor(topic, [p], since, until),
      (partition, m) => {
        if (m.key?.toString() !== contactKey) return;
        const id = headerOf(m.headers, OUTPUT_HEADERS.id);
        if (id === undefined) return;
        wanted.add(id);
        outputs.push({ partition, topic, m, eventId: id });
      },
      contactKey,
    );
    // Events of the contact that never became an output: their DLQ records name it in the body.
    await scan(
      dlqTopic,
      'DLQ records naming the contact',
      await rangesFor(dlqTopic, undefined, since, until),
      (partition, m) => {
        const id = recordFacts(m).eventId;
        if (id === undefined || !(wanted.has(id) || bodyNamesContact(m.value, query.contactId!)))
          return;
        wanted.add(id);
        dlq.push({ partition, m, eventId: id });
      },
    );
    const byPartition = new Map<number, string[]>();
    for (const id of wanted) {
      const p2 = partitionOfKey(id, rawPartitions);
      byPartition.set(p2, [...(byPartition.get(p2) ?? []), id]);
    }
    if (byPartition.size > 0)
      await scan(
        rawTopic,
        `event IDs -> partitions ${[...byPartition.keys()].sort().join(',')}`,
        await rangesFor(rawTopic, [...byPartition.keys()], since, query.until),
        (partition, m) => addRaw(partition, m, wanted),
        wanted.size === 1 ? [...wanted][0] : undefined,
      );
  } else {
    await scan(
      rawTopic,
      'time window (no event ID or contact: every partition)',
      await rangesFor(rawTopic, undefined, since, query.until),
      (partition, m) => addRaw(partition, m),
    );
    for (const id of raw.keys()) wanted.add(id);
  }

  // 2. Outputs and DLQ records of the events found in ghl.raw, in the window after them.
  const times = [...raw.values()].flat().map((r) => Number(r.m.timestamp));
  if (times.length > 0 && query.contactId === undefined) {
    const from = Math.min(...times);
    const to = Math.max(...times) + windowMs;
    const dlqRanges =
      query.eventId !== undefined
        ? await rangesFor(dlqTopic, [partitionOfKey(query.eventId, dlqPartitions)], from, to)
        : await rangesFor(dlqTopic, undefined, from, to);
    await Promise.all([
      scan(
        dlqTopic,
        query.eventId !== undefined ? 'event ID -> partition' : 'window after the raw records',
        dlqRanges,
        (partition, m) => {
          const id = recordFacts(m).eventId;
          if (id !== undefined && wanted.has(id)) dlq.push({ partition, m, eventId: id });
        },
        query.eventId,
      ),
      ...outputTopics.map(async (topic) =>
        scan(
          topic,
          'window after the raw records (outputs are keyed by entity id)',
          await rangesFor(topic, undefined, from, to),
          (partition, m) => {
            const id = headerOf(m.headers, OUTPUT_HEADERS.id);
            if (id !== undefined && wanted.has(id))
              outputs.push({ partition, topic, m, eventId: id });
          },
          wanted.size === 1 ? [...wanted][0] : undefined,
        ),
      ),
    ]);
  }

  // 3. Lineage per event, oldest first.
  const committed = await committedSoon;
  const events = new Map<string, EventLineage>();
  const lineage = (id: string) => {
    let e = events.get(id);
    if (!e) events.set(id, (e = { eventId: id, eventType: null, locationId: null, steps: [] }));
    return e;
  };
  for (const [id, records] of raw) {
    const e = lineage(id);
    records.sort((a, b) => Number(a.m.timestamp) - Number(b.m.timestamp));
    let delivered = false;
    for (const { m, partition } of records) {
      const step = rawStep(rawTopic, partition, m, delivered, committed, query.values);
      if (step.kind === 'delivery') delivered = true;
      e.eventType ??= step.eventType;
      e.locationId ??= step.locationId;
      e.steps.push(step);
    }
  }
  for (const o of outputs)
    lineage(o.eventId).steps.push(await outputStep(ctx, o.topic, o.partition, o.m, query.values));
  for (const d of dlq) {
    const e = lineage(d.eventId);
    const step = dlqStep(dlqTopic, d.partition, d.m, query.values);
    const facts = recordFacts(d.m);
    e.eventType ??= facts.eventType ?? null;
    e.locationId ??= facts.locationId ?? null;
    e.steps.push(step);
  }
  const order = { delivery: 0, redelivery: 0, replay: 0, redrive: 0, dlq: 1, output: 1 };
  const all = [...events.values()];
  for (const e of all)
    e.steps.sort((a, b) => a.time.localeCompare(b.time) || order[a.kind] - order[b.kind]);
  all.sort((a, b) => (a.steps[0]?.time ?? '').localeCompare(b.steps[0]?.time ?? ''));
  const limit = query.limit ?? 200;
  const totals = scanned.reduce(
    (t, s) => ({ records: t.records + s.records, bytes: t.bytes + s.bytes, ms: t.ms }),
    { records: 0, bytes: 0, ms: Date.now() - started },
  );
  return {
    events: all.slice(0, limit),
    scanned,
    totals,
    truncated: Math.max(0, all.length - limit),
  };
}
