// The ghl.raw record format: how its value (the webhook body, byte for byte) is decoded, which
// body fields give the event type, the event ID, the location and the company, and which headers
// the ingress derives from them. The ingress writes records by these rules, the transformer and
// the CLI read them by the same rules, so a record means the same thing to all three.
//
//   seed envelope  {event, locationId, companyId, timestamp, data, metadata}
//   real GHL flat  {type: "ContactCreate", locationId, timestamp, webhookId, …entity fields}
//   GHL agency     {type: "LocationUpdate", id: "<location>", companyId, …}
//                  {type: "INSTALL", installType: "Company", companyId, …}  (no location at all)
import { isUtf8 } from 'node:buffer';
import { bytesEventId, deriveEventId } from './event-id.js';
import { headerOf, RAW_HEADERS, type RecordHeaders } from './record-headers.js';

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `null`, `array` or the `typeof` of a JSON value, for messages that must not quote values. */
export const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

const JSON_ERROR_POSITION = /position (\d+)/;

export type DecodedBody =
  { ok: true; value: unknown } | { ok: false; reason: 'not-utf8' | 'not-json'; message: string };

/**
 * Decodes a webhook body: UTF-8 (RFC 8259; invalid bytes are an error, never replacement
 * characters), one leading byte order mark skipped (it is encoding, not JSON, and some senders
 * write it; the stored bytes keep it), then JSON. The message of a failure names the position
 * only: V8's own message quotes the input, which may be personal data.
 */
export function decodeBody(bytes: Uint8Array): DecodedBody {
  if (!isUtf8(bytes)) return { ok: false, reason: 'not-utf8', message: 'value is not valid UTF-8' };
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const at = JSON_ERROR_POSITION.exec(err instanceof Error ? err.message : '')?.[1];
    const where = at === undefined ? '' : ` (at position ${at})`;
    return { ok: false, reason: 'not-json', message: `value is not valid JSON${where}` };
  }
}

/** The body as a JSON object (decodeBody), or undefined when it is not one. */
export function bodyObject(bytes: Uint8Array | null): JsonObject | undefined {
  if (bytes === null) return undefined;
  const decoded = decodeBody(bytes);
  return decoded.ok && isJsonObject(decoded.value) ? decoded.value : undefined;
}

export type Fact<T> = { ok: true; value: T } | { ok: false; message: string };

const usable = (value: unknown): value is string =>
  typeof value === 'string' && value.trim() !== '';

/** Why a field that should hold a non-blank string does not. */
const problemOf = (field: string, value: unknown): string =>
  typeof value !== 'string'
    ? `${field} must be a string, got ${kindOf(value)}`
    : `${field} is empty`;

const absent = (value: unknown): boolean => value === undefined || value === null;

/**
 * The event type: `event` when it is a non-blank string (the seed envelope), else `type` when it
 * is one (a real GHL flat body), exactly as received. `format` says which, and so whether the
 * entity fields are the seed's `data` or the GHL body's top level. A body with neither fails,
 * naming the problem of `event` when it has one, else of `type`.
 */
export function eventTypeOf(
  body: Readonly<JsonObject>,
): Fact<{ type: string; format: 'seed' | 'ghl' }> {
  if (usable(body.event)) return { ok: true, value: { type: body.event, format: 'seed' } };
  if (usable(body.type)) return { ok: true, value: { type: body.type, format: 'ghl' } };
  if (!absent(body.event)) return { ok: false, message: problemOf('event type', body.event) };
  if (!absent(body.type)) return { ok: false, message: problemOf('event type', body.type) };
  return { ok: false, message: 'no event type ("event" or "type")' };
}

/** Agency-level GHL events that name the location they are about in `id`, not `locationId`. */
export const LOCATION_IN_ID: ReadonlySet<string> = new Set(['LocationCreate', 'LocationUpdate']);

/**
 * The GHL location: `locationId` (a non-blank string, kept as sent), or for an agency-level
 * LocationCreate/LocationUpdate without one, the location named in `id`. `undefined` when the
 * body names none (a Company-level event); a failure when `locationId` is there but unusable.
 */
export function locationOf(
  body: Readonly<JsonObject>,
  eventType: string | undefined,
): Fact<string | undefined> {
  const location = body.locationId;
  if (absent(location)) {
    const inId =
      eventType !== undefined && LOCATION_IN_ID.has(eventType) && usable(body.id)
        ? body.id
        : undefined;
    return { ok: true, value: inId };
  }
  return usable(location)
    ? { ok: true, value: location }
    : { ok: false, message: problemOf('locationId', location) };
}

/**
 * The GHL company: `companyId` as a string (a number as its decimal string, an empty string as
 * absent); a failure for any other kind of value.
 */
export function companyOf(body: Readonly<JsonObject>): Fact<string | undefined> {
  const company = body.companyId;
  if (absent(company) || company === '') return { ok: true, value: undefined };
  if (typeof company === 'string') return { ok: true, value: company };
  if (typeof company === 'number' && Number.isFinite(company))
    return { ok: true, value: String(company) };
  return { ok: false, message: `companyId must be a string, got ${kindOf(company)}` };
}

/** What the ingress derives from a signed body for the record's key and headers. */
export interface BodyFacts {
  /** deriveEventId of the object, or the hash of the exact bytes when it is not one. */
  eventId: string;
  eventType: string | undefined;
  /** locationOf; undefined when the body names none or its locationId is unusable. */
  locationId: string | undefined;
  /** companyOf, given only when there is no location (an agency-level event). */
  companyId: string | undefined;
  /** The parsed body; undefined when it is not a JSON object (it is stored all the same). */
  body: JsonObject | undefined;
}

/** BodyFacts of a webhook body; never throws, whatever the bytes. */
export function bodyFacts(bytes: Uint8Array): BodyFacts {
  const body = bodyObject(bytes);
  if (body === undefined)
    return {
      eventId: bytesEventId(bytes),
      eventType: undefined,
      locationId: undefined,
      companyId: undefined,
      body,
    };
  const type = eventTypeOf(body);
  const eventType = type.ok ? type.value.type : undefined;
  const location = locationOf(body, eventType);
  const locationId = location.ok ? location.value : undefined;
  const company = locationId === undefined ? companyOf(body) : undefined;
  return {
    eventId: deriveEventId(body).eventId,
    eventType,
    locationId,
    companyId: company?.ok ? company.value : undefined,
    body,
  };
}

/** How the delivery reached the ingress: the rest of a ghl.raw record's headers. */
export interface Delivery {
  /** Epoch millis. */
  receivedAt: number;
  requestId: string;
  signatureScheme: string;
  /** The request's Content-Type, as received. */
  contentType: string;
  /** A valid W3C traceparent, when one came in. */
  traceparent?: string;
}

/**
 * The headers of a ghl.raw record (README, Topics): `event-id`, `event-type`, `location-id`,
 * `company-id` (agency-level events without a location only), `received-at` (ISO-8601),
 * `request-id`, `signature-scheme`, `content-type`, `traceparent`. A fact the body cannot give
 * is left out, never guessed.
 */
export function rawRecordHeaders(facts: BodyFacts, delivery: Delivery): Record<string, string> {
  const headers: Record<string, string> = { [RAW_HEADERS.eventId]: facts.eventId };
  if (facts.eventType !== undefined) headers[RAW_HEADERS.eventType] = facts.eventType;
  if (facts.locationId !== undefined) headers[RAW_HEADERS.locationId] = facts.locationId;
  if (facts.companyId !== undefined) headers[RAW_HEADERS.companyId] = facts.companyId;
  headers[RAW_HEADERS.receivedAt] = new Date(delivery.receivedAt).toISOString();
  headers[RAW_HEADERS.requestId] = delivery.requestId;
  headers[RAW_HEADERS.signatureScheme] = delivery.signatureScheme;
  headers[RAW_HEADERS.contentType] = delivery.contentType;
  if (delivery.traceparent !== undefined) headers[RAW_HEADERS.traceparent] = delivery.traceparent;
  return headers;
}

const trimmed = (value: string | undefined): string | undefined => {
  const t = value?.trim();
  return t === undefined || t === '' ? undefined : t;
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The event ID of a stored record: its `event-id` header (first value), else its key as UTF-8
 * text, trimmed; undefined when neither holds one (then only the body can tell: bodyFacts).
 */
export function recordEventId(
  eventIdHeader: string | undefined,
  key: Uint8Array | null,
): string | undefined {
  const fromHeader = trimmed(eventIdHeader);
  if (fromHeader !== undefined || key === null || key.length === 0) return fromHeader;
  try {
    return trimmed(utf8.decode(key));
  } catch {
    return undefined;
  }
}

/** What a reader of ghl.raw (or of ghl.dlq, which keeps the original headers) knows of a record. */
export interface RecordFacts {
  eventId: string | undefined;
  eventType: string | undefined;
  locationId: string | undefined;
  companyId: string | undefined;
}

/**
 * The facts of a stored record: each from its header when present (what the ingress decided),
 * else from the body by the same rules (a record written by something other than the ingress).
 * The body is parsed only when a header is missing.
 */
export function recordFacts(record: {
  headers?: RecordHeaders | undefined;
  key: Uint8Array | null;
  value: Uint8Array | null;
}): RecordFacts {
  const header = (name: string) => trimmed(headerOf(record.headers, name));
  let facts: BodyFacts | undefined;
  const fromBody = (): BodyFacts | undefined => {
    if (facts === undefined && record.value !== null) facts = bodyFacts(record.value);
    return facts?.body === undefined ? undefined : facts;
  };
  return {
    eventId: recordEventId(headerOf(record.headers, RAW_HEADERS.eventId), record.key),
    eventType: header(RAW_HEADERS.eventType) ?? fromBody()?.eventType,
    locationId: header(RAW_HEADERS.locationId) ?? fromBody()?.locationId,
    companyId: header(RAW_HEADERS.companyId) ?? fromBody()?.companyId,
  };
}
