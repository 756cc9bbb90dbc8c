// What the ingress insists on before a body may enter ghl.raw: JSON by content type (415) and a
// valid signature (401). After that its only job is durability: every signed body is stored and
// answered 200, and what it means (or why it cannot be mapped) is the transformer's business.
// The record's key and headers follow the ghl.raw format of services/common/src/raw-record.ts.

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
