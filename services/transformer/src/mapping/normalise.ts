// Both input formats → one internal event. Which fields hold the event type, the event ID, the
// location and the company is the ghl.raw record format of services/common/src/raw-record.ts,
// shared with the ingress and the CLI; this module adds what only the transformer needs.
// GHL appointment events nest the entity under `appointment`; they are flattened here so the
// payload builders see one shape per event type whatever the format.
import { deriveEventId } from '../../../common/src/event-id.js';
import {
  companyOf,
  eventTypeOf,
  isJsonObject,
  kindOf,
  locationOf,
  recordEventId,
  type JsonObject,
} from '../../../common/src/raw-record.js';
import { RAW_HEADERS } from '../../../common/src/record-headers.js';
import { GHL_NESTED_ENTITY, mappingFor, type EventMapping } from './event-mapping.js';
import { parseTimestamp } from './timestamps.js';
import type { RawRecord } from './transform-types.js';

export { isJsonObject, kindOf, parseTimestamp, type JsonObject };

/** Seed envelope (`event` + `data`) or real GHL flat body (`type` + top-level fields). */
export type InputFormat = 'seed' | 'ghl';

export interface NormalisedEvent {
  eventId: string;
  /** The canonical type (GHL aliases resolved); the received name when unmapped. */
  type: string;
  /** The event type exactly as received (seed `event` or GHL `type`). */
  sourceEventType: string;
  /** undefined: the type has no NeuronX mapping (the unmapped-event policy decides). */
  mapping: EventMapping | undefined;
  /**
   * GHL location id: `locationId`, or `id` for agency-level LocationCreate/LocationUpdate. Null
   * only for unmapped agency-level events that name a company instead (e.g. a Company INSTALL).
   */
  locationId: string | null;
  companyId: string | null;
  /** Epoch millis. */
  occurredAt: number;
  /** Epoch millis. */
  receivedAt: number;
  /** Which format the body is in: decides which spelling of a field wins (payload-builders.ts). */
  format: InputFormat;
  /** The entity fields: seed `data`, or the GHL body without its envelope fields. */
  data: Readonly<JsonObject>;
  /** A `timestamp` that was present but unparseable; kept as an attribute rather than lost. */
  unparsedTimestamp?: unknown;
}

export type NormaliseResult =
  { ok: true; event: NormalisedEvent } | { ok: false; eventId: string; message: string };

/** GHL flat top-level fields that are envelope, not entity data. */
const GHL_ENVELOPE_KEYS = new Set(['type', 'locationId', 'companyId', 'timestamp']);

/** The event ID the ingress assigned: the `event-id` header, else the record key. */
export const eventIdOf = (raw: RawRecord): string | undefined =>
  recordEventId(raw.headers[RAW_HEADERS.eventId], raw.key);

const fail = (eventId: string, message: string): NormaliseResult => ({
  ok: false,
  eventId,
  message,
});

/**
 * Normalises a parsed JSON object. Fails (→ DLQ invalid_envelope) when there is no usable event
 * type, a locationId that is not a non-blank string, no location at all (except an unmapped
 * agency-level event that names its company), a seed envelope without a `data` object, or no
 * receive time at all. An unmapped type is not a failure here: the transform applies the unmapped-event policy.
 */
export function normalise(body: Readonly<JsonObject>, raw: RawRecord): NormaliseResult {
  // Hashing the body is the last resort: the ingress normally sets the event-id header.
  const eventId = eventIdOf(raw) ?? deriveEventId(body).eventId;

  const type = eventTypeOf(body);
  if (!type.ok) return fail(eventId, type.message);
  const { type: sourceEventType, format } = type.value;
  const seed = format === 'seed';

  const location = locationOf(body, sourceEventType);
  if (!location.ok) return fail(eventId, location.message);
  const locationId = location.value ?? null;
  const company = companyOf(body);
  if (!company.ok) return fail(eventId, company.message);
  const companyId = company.value ?? null;

  const mapping = mappingFor(sourceEventType);
  // Every NeuronX event belongs to a location. An agency-level event without one (a Company
  // INSTALL) is still a valid envelope when it names its company: it is unmapped, and parked
  // as such for a replay once a mapping exists.
  if (locationId === null && (mapping !== undefined || companyId === null))
    return fail(eventId, 'no locationId');

  let data: Readonly<JsonObject>;
  if (seed) {
    if (!isJsonObject(body.data)) return fail(eventId, 'seed envelope has no "data" object');
    data = body.data;
  } else {
    data = ghlData(body, GHL_NESTED_ENTITY[sourceEventType]);
  }

  const receivedAt =
    parseTimestamp(raw.headers[RAW_HEADERS.receivedAt]) ?? parseTimestamp(Number(raw.timestamp));
  if (receivedAt === undefined) return fail(eventId, 'no received-at header and no record time');

  // occurredAt: the webhook's own timestamp; for creations the entity's dateAdded; else the
  // receive time. A present but unparseable timestamp falls back too (an otherwise good event
  // is worth more than a DLQ entry) and is kept as an attribute so nothing is lost.
  const fromTimestamp = parseTimestamp(body.timestamp);
  const unparsedTimestamp =
    fromTimestamp === undefined && body.timestamp !== undefined && body.timestamp !== null
      ? body.timestamp
      : undefined;
  const occurredAt =
    fromTimestamp ??
    (mapping?.dateAddedIsOccurrence ? parseTimestamp(data.dateAdded) : undefined) ??
    receivedAt;

  const event: NormalisedEvent = {
    eventId,
    type: mapping?.canonicalType ?? sourceEventType,
    sourceEventType,
    mapping,
    format,
    locationId,
    companyId,
    occurredAt,
    receivedAt,
    data,
  };
  if (unparsedTimestamp !== undefined) event.unparsedTimestamp = unparsedTimestamp;
  return { ok: true, event };
}

/**
 * The GHL body without its envelope fields. With a nested entity (`appointment`), its fields
 * come first and the remaining top-level fields join them; a top-level field whose name the
 * entity already uses is kept as `root.<name>` so neither is lost.
 */
function ghlData(body: Readonly<JsonObject>, nestedKey: string | undefined): JsonObject {
  const nested = nestedKey === undefined ? undefined : body[nestedKey];
  const data: JsonObject = isJsonObject(nested) ? { ...nested } : {};
  const flattening = isJsonObject(nested);
  for (const key in body) {
    if (GHL_ENVELOPE_KEYS.has(key) || (flattening && key === nestedKey)) continue;
    if (flattening && Object.hasOwn(data, key)) setOwn(data, `root.${key}`, body[key]);
    else setOwn(data, key, body[key]);
  }
  return data;
}

/**
 * `obj[key] = value`, except that a JSON key "__proto__" (an own property after JSON.parse)
 * stays an own property instead of invoking the prototype setter and vanishing.
 */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else obj[key] = value;
}
