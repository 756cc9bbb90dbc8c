// Failures (DLQ groups, preview, redrive) and Replay: the writes the console can make, each a POST
// checked against cross-site requests (security.ts), audited, and run through the CLI's own
// redrive and replay code (services/cli/src/commands/dlq.ts, replay.ts) as a job with progress.
import type { FastifyInstance } from 'fastify';
import { ConsoleError } from '../../common/src/errors.js';
import { headerValues } from '../../common/src/record-headers.js';
import { redriveMessage, redriveRecords } from '../../cli/src/commands/dlq.js';
import { runReplay, type ReplayOptions } from '../../cli/src/commands/replay.js';
import { partitionBounds } from '../../cli/src/topic-positions.js';
import { parsePosition, parseTime } from '../../cli/src/specs.js';
import type { ConsoleRuntime } from './app.js';
import { groupFailures, inGroup, openDlqRecords, type GroupSelector } from './failures.js';
import { displayBody, safeHeaders } from './masking.js';

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

export function registerActions(app: FastifyInstance, rt: ConsoleRuntime): void {
  app.get<{ Querystring: { since?: string } }>('/api/failures', async (req) => {
    const since = sinceOf(req.query.since);
    const records = await rt.use((ctx) => openDlqRecords(ctx, since));
    return {
      since: new Date(since).toISOString(),
      open: records.length,
      groups: groupFailures(records),
    };
  });

  app.get<{ Querystring: GroupQuery }>('/api/failures/preview', async (req) => {
    const g = selectorOf(req.query);
    return rt.use(async (ctx) => {
      const records = inGroup(await openDlqRecords(ctx, g.since), g);
      const raw = await ctx.resolveTopic(ctx.names.raw);
      const partitions = (await partitionBounds(await ctx.admin(), raw)).size;
      return {
        topic: raw,
        records: records.map((r) => {
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
    });
  });

  app.post<{ Body: RedriveBody }>('/api/failures/redrive', async (req, reply) => {
    const body = req.body ?? {};
    const g = selectorOf(body);
    const rate = rateOf(body.rate);
    const ctx = rt.context();
    let records;
    try {
      records = inGroup(await openDlqRecords(ctx, g.since), g);
    } catch (err) {
      await ctx.close().catch(() => undefined);
      throw err;
    }
    rt.audit(req, 'redrive', {
      reason: g.reason,
      eventType: g.eventType,
      since: new Date(g.since).toISOString(),
      records: records.map((r) => r.entry.address),
    });
    const job = rt.jobs.start('redrive', records.length, async (progress) => {
      try {
        return await redriveRecords(ctx, records, { dryRun: false, rate, progress });
      } finally {
        await ctx.close().catch(() => undefined);
      }
    });
    return reply.status(202).send(job);
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
    const job = rt.jobs.start('replay', 0, async (progress, j) => {
      try {
        return await runReplay(ctx, opts, {
          progress,
          onStart: (replayId, total) => {
            j.info.replayId = replayId;
            j.total = total;
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
