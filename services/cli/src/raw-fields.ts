// What the CLI needs to know about a ghl.raw (or ghl.dlq) record: its event ID, type and
// location, from the ingress headers, else from the body (a record written by something other
// than the ingress, or a header-less replay of one).
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { RAW_HEADERS } from '../../common/src/record-headers.js';
import { headerOf, textOf } from './record-view.js';

export interface RawFields {
  eventId: string | undefined;
  eventType: string | undefined;
  locationId: string | undefined;
}

export function rawFields(message: Pick<KafkaMessage, 'headers' | 'key' | 'value'>): RawFields {
  const headers = message.headers;
  let body: Record<string, unknown> | null | undefined;
  const bodyField = (name: string): string | undefined => {
    body ??= parseObject(message.value);
    const v = body?.[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  return {
    eventId:
      nonEmpty(headerOf(headers, RAW_HEADERS.eventId)) ??
      (message.key && message.key.length > 0 ? textOf(message.key) : undefined),
    eventType:
      nonEmpty(headerOf(headers, RAW_HEADERS.eventType)) ?? bodyField('event') ?? bodyField('type'),
    locationId: nonEmpty(headerOf(headers, RAW_HEADERS.locationId)) ?? bodyField('locationId'),
  };
}

const nonEmpty = (v: string | undefined): string | undefined => (v === '' ? undefined : v);

function parseObject(value: Buffer | null): Record<string, unknown> | null {
  if (!value) return null;
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** A copy of `headers` without the names in `drop` (values kept byte for byte), plus `add`. */
export function rewriteHeaders(
  headers: IHeaders | undefined,
  drop: (name: string) => boolean,
  add: Record<string, string>,
): IHeaders {
  const out: IHeaders = {};
  for (const [name, v] of Object.entries(headers ?? {}))
    if (v !== undefined && !drop(name)) out[name] = v;
  return { ...out, ...add };
}

/** Event filters shared by replay and DLQ commands: any listed value matches. */
export interface RecordFilter {
  types?: readonly string[];
  locations?: readonly string[];
}

export function matchesFilter(fields: RawFields, filter: RecordFilter): boolean {
  if (filter.types?.length && !filter.types.includes(fields.eventType ?? '')) return false;
  if (filter.locations?.length && !filter.locations.includes(fields.locationId ?? '')) return false;
  return true;
}
