// Both input formats → one internal event (ARCHITECTURE.md §6):
//   seed envelope  {event, locationId, companyId, timestamp, data, metadata}
//   real GHL flat  {type: "ContactCreate", locationId, timestamp, webhookId, …entity fields}
// GHL appointment events nest the entity under `appointment` (shared/GHL-WEBHOOKS.md); they are
// flattened here so the payload builders see one shape per event type whatever the format.
import { deriveEventId } from '../../common/src/event-id.js';
import { RAW_HEADERS } from '../../common/src/record-headers.js';
import { GHL_NESTED_ENTITY, mappingFor, type EventMapping } from './event-mapping.js';
import { parseTimestamp } from './timestamps.js';
import type { RawRecord } from './transform-types.js';

export { parseTimestamp };

export type JsonObject = Record<string, unknown>;

/** Seed envelope (`event` + `data`) or real GHL flat body (`type` + top-level fields). */
export type InputFormat = 'seed' | 'ghl';

export interface NormalisedEvent {
  eventId: string;
  /** The seed dotted name (GHL aliases resolved); the received name when unmapped. */
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

/** Agency-level GHL events that name their location in `id` instead of `locationId`. */
const LOCATION_IN_ID = new Set(['LocationCreate', 'LocationUpdate']);

/** GHL flat top-level fields that are envelope, not entity data. */
const GHL_ENVELOPE_KEYS = new Set(['type', 'locationId', 'companyId', 'timestamp']);

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nonEmpty = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
};

/** The event ID the ingress assigned: the `event-id` header, else the record key. */
export function eventIdOf(raw: RawRecord): string | undefined {
  return (
    nonEmpty(raw.headers[RAW_HEADERS.eventId]) ??
    (raw.key && raw.key.length > 0 ? nonEmpty(raw.key.toString('utf8')) : undefined)
  );
}

const fail = (eventId: string, message: string): NormaliseResult => ({
  ok: false,
  eventId,
  message,
});

/**
 * Normalises a parsed JSON object. Fails (→ DLQ invalid_envelope) when there is no usable event
 * type, a locationId that is not a non-blank string, no location at all (except an unmapped
 * agency-level event that names its company), a seed envelope without a `data` object, or no receive time at all.
 * An unmapped type is not a failure here: the transform applies the unmapped-event policy.
 */
export function normalise(body: Readonly<JsonObject>, raw: RawRecord): NormaliseResult {
  // Hashing the body is the last resort: the ingress normally sets the event-id header.
  const eventId = eventIdOf(raw) ?? deriveEventId(body).eventId;

  const seed = body.event !== undefined;
  const sourceEventType = seed ? body.event : body.type;
  if (sourceEventType === undefined || sourceEventType === null)
    return fail(eventId, 'no event type ("event" or "type")');
  if (typeof sourceEventType !== 'string')
    return fail(eventId, `event type must be a string, got ${kindOf(sourceEventType)}`);
  if (sourceEventType.trim() === '') return fail(eventId, 'event type is empty');

  let locationId: string | null = null;
  const rawLocation = body.locationId;
  if (rawLocation === undefined || rawLocation === null) {
    // Agency-level LocationCreate/LocationUpdate name the location they are about in `id`.
    if (LOCATION_IN_ID.has(sourceEventType) && typeof body.id === 'string' && body.id.trim() !== '')
      locationId = body.id;
  } else if (typeof rawLocation !== 'string')
    return fail(eventId, `locationId must be a string, got ${kindOf(rawLocation)}`);
  else if (rawLocation.trim() === '') return fail(eventId, 'locationId is empty');
  else locationId = rawLocation;

  let companyId: string | null = null;
  const rawCompany = body.companyId;
  if (typeof rawCompany === 'string') companyId = rawCompany === '' ? null : rawCompany;
  else if (typeof rawCompany === 'number' && Number.isFinite(rawCompany))
    companyId = String(rawCompany);
  else if (rawCompany !== undefined && rawCompany !== null)
    return fail(eventId, `companyId must be a string, got ${kindOf(rawCompany)}`);

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
    type: mapping?.seedType ?? sourceEventType,
    sourceEventType,
    mapping,
    format: seed ? 'seed' : 'ghl',
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

export const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
