// The operations' side of ghl.raw and ghl.dlq records: the event ID, type and location of a record come
// from the shared record format (services/common/src/raw-record.ts: the ingress headers, else the
// body by the same rules the ingress and the transformer use); header rewriting and filters here.
import type { RecordHeaders } from '../kafka/records.js';
import { recordFacts, type RecordFacts } from '../raw-record.js';

/** The facts of a stored record (recordFacts). */
export const rawFields = recordFacts;
export type RawFields = RecordFacts;

/** A copy of `headers` without the names in `drop` (values kept byte for byte), plus `add`. */
export function rewriteHeaders(
  headers: RecordHeaders | undefined,
  drop: (name: string) => boolean,
  add: Record<string, string>,
): RecordHeaders {
  const out: RecordHeaders = {};
  for (const [name, v] of Object.entries(headers ?? {}))
    if (v !== undefined && !drop(name)) out[name] = v;
  return { ...out, ...add };
}

/** Event filters shared by replay and DLQ commands: any listed value matches. */
export interface RecordFilter {
  types?: readonly string[];
  locations?: readonly string[];
}

export function matchesFilter(
  fields: Pick<RawFields, 'eventType' | 'locationId'>,
  filter: RecordFilter,
): boolean {
  if (filter.types?.length && !filter.types.includes(fields.eventType ?? '')) return false;
  if (filter.locations?.length && !filter.locations.includes(fields.locationId ?? '')) return false;
  return true;
}
