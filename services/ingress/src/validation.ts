import { IngressError } from '../../common/src/errors.js';

// What the ingress insists on before a body may enter ghl.raw (ARCHITECTURE.md §5): JSON by
// content type (415), then, after the signature, a JSON object with an event type and a
// locationId (400). Everything else about the payload is the transformer's business.

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
  /** `event` (seed envelope) or `type` (real GHL), exactly as received. */
  eventType: string;
  locationId: string;
  payload: Readonly<Record<string, unknown>>;
}

const nonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.trim() !== '';

/** Parses and checks the shape; throws the matching 400 IngressError. */
export function parseWebhook(body: Buffer): WebhookFacts {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    throw new IngressError('ING_ERR_INVALID_JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new IngressError('ING_ERR_NOT_AN_OBJECT');
  }
  const record = payload as Record<string, unknown>;
  const eventType = nonEmptyString(record.event)
    ? record.event
    : nonEmptyString(record.type)
      ? record.type
      : undefined;
  if (eventType === undefined) throw new IngressError('ING_ERR_MISSING_EVENT_TYPE');
  if (!nonEmptyString(record.locationId)) throw new IngressError('ING_ERR_MISSING_LOCATION_ID');
  return { eventType, locationId: record.locationId, payload: record };
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
