// Failures (DLQ groups, their records, preview, redrive of a group or of selected records) and
// Replay: the writes the console can make, each a POST checked against cross-site requests
// (security.ts), audited, and run through the redrive and replay code the CLI runs too
// (services/common/src/ops/redrive.ts, replay.ts) as a job with progress.
import type { FastifyInstance } from 'fastify';
import { ConsoleError } from '../../common/src/errors.js';
import { headerValues } from '../../common/src/record-headers.js';
import type { OpsContext } from '../../common/src/ops/context.js';
import { collectDlq, type DlqRecord } from '../../common/src/ops/dlq-records.js';
import { redriveMessage, redriveRecords, restoreTruncated } from '../../common/src/ops/redrive.js';
import { runReplay, type ReplayOptions } from '../../common/src/ops/replay.js';
import { parsePosition, parseTime } from '../../common/src/ops/specs.js';
import { partitionBounds } from '../../common/src/ops/topic-positions.js';
import type { ConsoleRuntime } from './app.js';
import {
  groupFailures,
  inGroup,
  openDlqRecords,
  redrivenAddresses,
  type GroupSelector,
} from './failures.js';
import { displayBody, maskText, safeHeaders } from './masking.js';
import {
  MAX_SELECTION,
  parseSelection,
  readSelection,
  requireFields,
  reserveOpen,
} from './selection.js';

interface GroupQuery {
  reason?: string | null;
  eventType?: string | null;
  since?: string;
}
interface RedriveBody extends GroupQuery {
  rate?: number;
}
interface ReplayBody {
  from?: string;
  to?: string;
  types?: string[];
  locations?: string[];
  rate?: number;
  dryRun?: boolean;
}

const sinceOf = (text: string | undefined) => parseTime(text && text.trim() !== '' ? text : '24h');

/** A group from the query or body: `reason`/`eventType` absent or empty mean "none" (null). */
function selectorOf(q: GroupQuery): GroupSelector {
  const text = (v: string | null | undefined) =>
    v === undefined || v === null || v === '' ? null : v;
  return { reason: text(q.reason), eventType: text(q.eventType), since: sinceOf(q.since) };
}

const rateOf = (rate: unknown): number => {
  if (rate === undefined) return 100;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 100_000)
    throw new ConsoleError(
      'CONSOLE_ERR_BAD_REQUEST',
      'rate must be a number of records per second in (0, 100000]',
    );
  return rate;
};

/** What a redrive of `records` writes to ghl.raw, for the page (masked, no secret headers). */
async function previewOf(ctx: OpsContext, records: readonly DlqRecord[]) {
  const raw = await ctx.resolveTopic(ctx.names.raw);
  const partitions = (await partitionBounds(await ctx.admin(), raw)).size;
  const { records: writable, unrecoverable } = await restoreTruncated(ctx, records, raw);
  return {
    topic: raw,
    unrecoverable,
    records: writable.map((r) => {
      const m = redriveMessage(r, raw, partitions);
      return {
        dlq: r.entry.address,
        eventId: r.entry.eventId,
        partition: m.partition ?? null,
        key: m.key?.toString('utf8') ?? null,
        headers: safeHeaders(headerValues(m.headers)),
        body: displayBody(m.value?.toString('utf8'), false),
      };
    }),
  };
}

export function registerActions(app: FastifyInstance, rt: ConsoleRuntime): void {
  /** Addresses of the DLQ records that redrives started here are writing right now. */
  const running = new Set<string>();

  /** Starts the redrive job of `records`; `release` frees their reservation when it ends. */
  const startRedrive = (ctx: OpsContext, records: DlqRecord[], rate: number, release: () => void) =>
    rt.jobs.start('redrive', records.length, async (progress) => {
      try {
        return await redriveRecords(ctx, records, { dryRun: false, rate, progress });
      } finally {
        release();
        await ctx.close().catch(() => undefined);
      }
    });

  app.get<{ Querystring: { since?: string } }>('/api/failures', async (req) => {
    const since = sinceOf(req.query.since);
    const records = await rt.use((ctx) => openDlqRecords(ctx, since));
    return {
      since: new Date(since).toISOString(),
      open: records.length,
      groups: groupFailures(records),
    };
  });

  // The open records of one group, oldest first, at most MAX_SELECTION of them: what the page
  // lists to tick. `firstSeen` is when the event first went to the DLQ in the window (an event
  // that failed again after a redrive has an older record); errors are masked like bodies.
  app.get<{ Querystring: GroupQuery }>('/api/failures/records', async (req) => {
    const g = selectorOf(req.query);
    return rt.use(async (ctx) => {
      const all = await collectDlq(ctx, { since: g.since });
      const redriven = await redrivenAddresses(ctx, all);
      const firstSeen = new Map<string, string>();
      for (const r of all)
        if (r.entry.eventId !== null && !firstSeen.has(r.entry.eventId))
          firstSeen.set(r.entry.eventId, r.entry.timestamp);
      const open = inGroup(
        all.filter((r) => !redriven.has(r.entry.address)),
        g,
      );
      return {
        since: new Date(g.since).toISOString(),
        reason: g.reason,
        eventType: g.eventType,
        total: open.length,
        truncated: open.length > MAX_SELECTION,
        records: open.slice(0, MAX_SELECTION).map((r) => ({
          address: r.entry.address,
          partition: r.entry.partition,
          offset: r.entry.offset,
          eventId: r.entry.eventId,
          eventType: r.entry.eventType,
          locationId: r.entry.locationId,
          reason: r.entry.reason,
          stage: r.entry.stage,
          error: r.entry.error === null ? null : maskText(r.entry.error),
          attempts: r.entry.attempts,
          at: r.entry.timestamp,
          failedAt: r.entry.failedAt,
          firstSeen:
            (r.entry.eventId !== null ? firstSeen.get(r.entry.eventId) : undefined) ??
            r.entry.timestamp,
          source: r.entry.source,
          running: running.has(r.entry.address),
        })),
      };
    });
  });

  app.get<{ Querystring: GroupQuery }>('/api/failures/preview', async (req) => {
    const g = selectorOf(req.query);
    return rt.use(async (ctx) => previewOf(ctx, inGroup(await openDlqRecords(ctx, g.since), g)));
  });

  // A selection's preview: the same answer as a group's, for exactly the records named. A POST so
  // that up to MAX_SELECTION addresses fit (it changes nothing).
  app.post('/api/failures/records/preview', async (req) => {
    const body = requireFields(req.body ?? {}, ['records']);
    return rt.use(async (ctx) => {
      const dlq = await ctx.resolveTopic(ctx.names.dlq);
      const records = await readSelection(ctx, dlq, parseSelection(body.records, dlq));
      const redriven = await redrivenAddresses(ctx, records);
      return {
        ...(await previewOf(ctx, records)),
        redriven: records
          .map((r) => r.entry.address)
          .filter((a) => redriven.has(a) || running.has(a)),
      };
    });
  });

  app.post<{ Body: RedriveBody }>('/api/failures/redrive', async (req, reply) => {
    const body = req.body ?? {};
    const g = selectorOf(body);
    const rate = rateOf(body.rate);
    const ctx = rt.context();
    let records;
    try {
      // Records a running redrive is writing are left to it.
      records = inGroup(await openDlqRecords(ctx, g.since), g).filter(
        (r) => !running.has(r.entry.address),
      );
    } catch (err) {
      await ctx.close().catch(() => undefined);
      throw err;
    }
    const addresses = records.map((r) => r.entry.address);
    for (const a of addresses) running.add(a);
    rt.audit(req, 'redrive', {
      reason: g.reason,
      eventType: g.eventType,
      since: new Date(g.since).toISOString(),
      records: addresses,
    });
    const job = startRedrive(ctx, records, rate, () => {
      for (const a of addresses) running.delete(a);
    });
    return reply.status(202).send(job);
  });

  // A selection's redrive: every named record must be a DLQ record with no redrive in ghl.raw and
  // none under way, or nothing is sent (409 listing them).
  app.post('/api/failures/records/redrive', async (req, reply) => {
    const body = requireFields(req.body ?? {}, ['records', 'rate']);
    const rate = rateOf(body.rate);
    const ctx = rt.context();
    let records: DlqRecord[];
    let release: () => void;
    try {
      const dlq = await ctx.resolveTopic(ctx.names.dlq);
      records = await readSelection(ctx, dlq, parseSelection(body.records, dlq));
      release = await reserveOpen(ctx, records, running);
    } catch (err) {
      await ctx.close().catch(() => undefined);
      throw err;
    }
    rt.audit(req, 'redrive', { selection: true, records: records.map((r) => r.entry.address) });
    return reply.status(202).send(startRedrive(ctx, records, rate, release));
  });

  app.post<{ Body: ReplayBody }>('/api/replay', async (req, reply) => {
    const body = req.body ?? {};
    if (typeof body.from !== 'string' || body.from.trim() === '')
      throw new ConsoleError(
        'CONSOLE_ERR_BAD_REQUEST',
        '"from" is required (ISO-8601, 2h, earliest, p:o)',
      );
    const list = (v: unknown, name: string) => {
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        throw new ConsoleError('CONSOLE_ERR_BAD_REQUEST', `"${name}" must be a list of strings`);
      const items = (v as string[]).map((x) => x.trim()).filter((x) => x !== '');
      return items.length > 0 ? items : undefined;
    };
    const opts: ReplayOptions = {
      from: parsePosition(body.from),
      ...(body.to && body.to.trim() !== '' ? { to: parsePosition(body.to) } : {}),
      type: list(body.types, 'types'),
      location: list(body.locations, 'locations'),
      dryRun: body.dryRun === true,
      rate: rateOf(body.rate),
    };
    if (opts.dryRun) return rt.use((ctx) => runReplay(ctx, opts));
    const ctx = rt.context();
    let resolveStarted!: () => void;
    const started = new Promise<void>((r) => (resolveStarted = r));
    const job = rt.jobs.start('replay', 0, async (progress) => {
      try {
        return await runReplay(ctx, opts, {
          progress,
          onStart: (replayId, total) => {
            progress.setInfo('replayId', replayId);
            progress.setTotal(total);
            rt.audit(req, 'replay', {
              replayId,
              from: body.from,
              to: body.to ?? null,
              types: opts.type ?? null,
              total,
            });
            resolveStarted();
          },
        });
      } finally {
        resolveStarted();
        await ctx.close().catch(() => undefined);
      }
    });
    await started;
    return reply.status(202).send(job);
  });
}
