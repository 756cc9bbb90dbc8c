// Events: search (GET /api/events) and one event's lineage with its raw bodies pretty-printed and
// its outputs decoded from Avro (GET /api/events/:eventId), personal data masked unless revealed
// (?reveal=1, audited).
import type { FastifyInstance } from 'fastify';
import { ConsoleError } from '../../common/src/errors.js';
import { collectList, parseTime } from '../../common/src/ops/specs.js';
import { traceEvents } from '../../common/src/ops/trace.js';
import type { TraceQuery, TraceResult } from '../../common/src/ops/trace-types.js';
import type { ConsoleRuntime } from './app.js';
import { displayBody, maskValue } from './masking.js';

interface SearchQuery {
  eventId?: string;
  contact?: string;
  location?: string;
  type?: string;
  since?: string;
  until?: string;
  reveal?: string;
}

const nonBlank = (v: string | undefined) =>
  v !== undefined && v.trim() !== '' ? v.trim() : undefined;

/** The trace query of a search form; a bad time is CONSOLE_ERR_BAD_REQUEST (through UsageError). */
export function traceQueryOf(q: SearchQuery): TraceQuery {
  const query: TraceQuery = {};
  const eventId = nonBlank(q.eventId);
  const contact = nonBlank(q.contact);
  const location = nonBlank(q.location);
  const type = nonBlank(q.type);
  const since = nonBlank(q.since);
  const until = nonBlank(q.until);
  if (eventId) query.eventId = eventId;
  if (contact) query.contactId = contact;
  if (location) query.locationId = location;
  if (type) query.types = collectList(type);
  if (since) query.since = parseTime(since);
  if (until) query.until = parseTime(until);
  if (!eventId && !contact && !location && !type)
    throw new ConsoleError(
      'CONSOLE_ERR_BAD_REQUEST',
      'give an event ID, a contact, a location or a type',
    );
  return query;
}

/** Bodies pretty-printed and decoded values, masked unless `reveal`. */
export function presentTrace(result: TraceResult, reveal: boolean): TraceResult {
  return {
    ...result,
    events: result.events.map((e) => ({
      ...e,
      steps: e.steps.map((s) => {
        if (s.kind === 'output')
          return s.decoded === undefined
            ? s
            : { ...s, decoded: reveal ? s.decoded : maskValue(s.decoded) };
        return s.body === undefined ? s : { ...s, body: displayBody(s.body, reveal) };
      }),
    })),
  };
}

export function registerEvents(app: FastifyInstance, rt: ConsoleRuntime): void {
  app.get<{ Querystring: SearchQuery }>('/api/events', async (req) => {
    const query = traceQueryOf(req.query);
    return rt.use((ctx) => traceEvents(ctx, { ...query, limit: 200 }));
  });

  app.get<{ Params: { eventId: string }; Querystring: SearchQuery }>(
    '/api/events/:eventId',
    async (req) => {
      const query = traceQueryOf({ ...req.query, eventId: req.params.eventId });
      const reveal = req.query.reveal === '1';
      if (reveal) rt.audit(req, 'reveal', { eventId: req.params.eventId });
      const result = await rt.use((ctx) => traceEvents(ctx, { ...query, values: true }));
      return presentTrace(result, reveal);
    },
  );
}
