import { isUtf8 } from 'node:buffer';
import { bytesEventId, deriveEventId } from '../../common/src/event-id.js';

// What the ingress insists on before a body may enter ghl.raw: JSON by content type (415) and a
// valid signature (401). After that its only job is durability: every signed body is stored and
// answered 200, and what it means (or why it cannot be mapped) is the transformer's business.

const UTF8_CHARSETS = new Set(['utf-8', 'utf8']);
const verdicts = new Map<string, boolean>();
const MAX_CACHED_VERDICTS = 64;

/**
 * `application/json`, with or without parameters; a `charset` parameter must name UTF-8 (JSON is
 * UTF-8 by RFC 8259, and the bytes are stored as they came). Senders repeat the same few header
 * values, so verdicts are cached.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const cached = verdicts.get(header);
  if (cached !== undefined) return cached;
  const verdict = judgeContentType(header);
  if (verdicts.size < MAX_CACHED_VERDICTS) verdicts.set(header, verdict);
  return verdict;
}

function judgeContentType(header: string): boolean {
  const [essence = '', ...params] = header.split(';');
  if (essence.trim().toLowerCase() !== 'application/json') return false;
  for (const param of params) {
    const eq = param.indexOf('=');
    const name = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
    if (name !== 'charset') continue;
    const value = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (!UTF8_CHARSETS.has(value)) return false;
  }
  return true;
}

/** No Content-Encoding, or `identity`: the body is the bytes that were signed. */
export const isIdentityEncoding = (header: string | undefined): boolean =>
  header === undefined || header.trim().toLowerCase() === 'identity' || header.trim() === '';

export interface WebhookFacts {
  /** The event ID (services/common/src/event-id.ts); a hash of the bytes for a non-object. */
  eventId: string;
  /** `event` (seed envelope) or `type` (real GHL), exactly as received; undefined when neither. */
  eventType: string | undefined;
  /** `locationId`, or the location an agency-level `LocationCreate`/`LocationUpdate` names in `id`. */
  locationId: string | undefined;
  /** `companyId`, written only for agency-level events that name no location. */
  companyId: string | undefined;
  /** False when the body is not a JSON object; it is stored all the same (README, Routes). */
  isObject: boolean;
}

const nonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.trim() !== '';

/** Agency-level GHL events that name their location in `id` instead of `locationId`. */
const LOCATION_IN_ID = new Set(['LocationCreate', 'LocationUpdate']);

/**
 * What the ingress can tell about a signed body, for the ghl.raw key and headers. Never throws:
 * once the signature holds, the body is kept whatever it contains (GHL retries only 429, so a 400
 * would lose the event for good); the transformer decides what it means, or parks it in the DLQ.
 * A leading UTF-8 BOM is skipped before parsing (the stored bytes keep it).
 */
export function webhookFacts(body: Buffer): WebhookFacts {
  const payload = parseObject(body);
  if (payload === undefined)
    return {
      eventId: bytesEventId(body),
      eventType: undefined,
      locationId: undefined,
      companyId: undefined,
      isObject: false,
    };
  const eventType = nonEmptyString(payload.event)
    ? payload.event
    : nonEmptyString(payload.type)
      ? payload.type
      : undefined;
  let locationId = nonEmptyString(payload.locationId) ? payload.locationId : undefined;
  if (locationId === undefined && eventType !== undefined && LOCATION_IN_ID.has(eventType))
    locationId = nonEmptyString(payload.id) ? payload.id : undefined;
  const companyId =
    locationId === undefined && nonEmptyString(payload.companyId) ? payload.companyId : undefined;
  return {
    eventId: deriveEventId(payload).eventId,
    eventType,
    locationId,
    companyId,
    isObject: true,
  };
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  if (!isUtf8(body)) return undefined;
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return undefined;
  }
  return payload !== null && typeof payload === 'object' && !Array.isArray(payload)
    ? (payload as Record<string, unknown>)
    : undefined;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A W3C `traceparent` worth forwarding; malformed ones are dropped rather than propagated. */
export function traceparentOf(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && TRACEPARENT.test(header) ? header : undefined;
}

const MAX_REQUEST_ID_LENGTH = 128;
const PRINTABLE = /^[\x21-\x7e]+$/;

/** The sender's X-Request-Id when it is a sane token; `undefined` means generate one. */
export function usableRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' &&
    header.length <= MAX_REQUEST_ID_LENGTH &&
    PRINTABLE.test(header)
    ? header
    : undefined;
}
