// What the console never shows as stored: emails and phone numbers are masked unless the user
// reveals them (an audited action), and signature or secret headers are dropped outright.

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// A phone number written as one: a leading + or separators, at least 7 digits.
const PHONE = /\+?\(?\d[\d\s().-]{5,}\d/g;
const PHONE_KEY = /phone|mobile|fax/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;
const SECRET_HEADER = /signature(?!-scheme)|secret|authorization|token|cookie/i;

/** `jane@example.com` → `j***@e***.com`. */
export function maskEmail(email: string): string {
  const [user = '', domain = ''] = email.split('@');
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${user.slice(0, 1)}***@${host.slice(0, 1)}***${tld}`;
}

/** Every digit but the last two replaced: `+1 415 555 0100` → `+• ••• ••• ••00`. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '').length;
  let seen = 0;
  return phone.replace(/\d/g, (d) => (++seen > digits - 2 ? d : '•'));
}

const looksLikePhone = (text: string) =>
  !ISO_DATE.test(text.trim()) && text.replace(/\D/g, '').length >= 7;

/** Emails and phone-number-shaped runs in free text masked. */
export function maskText(text: string): string {
  return text
    .replace(EMAIL, maskEmail)
    .replace(PHONE, (m) => (looksLikePhone(m) && /[+\s().-]/.test(m) ? maskPhone(m) : m));
}

/**
 * A deep copy of a JSON value with personal data masked: emails anywhere, phone-shaped text, and
 * every value under a key naming a phone. Non-string leaves are kept.
 */
export function maskValue(value: unknown, key = ''): unknown {
  if (typeof value === 'string')
    return PHONE_KEY.test(key) && looksLikePhone(value)
      ? maskPhone(maskText(value))
      : maskText(value);
  if (Array.isArray(value)) return value.map((v) => maskValue(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, k);
    return out;
  }
  return value;
}

/**
 * A stored body for display: JSON pretty-printed (two spaces), masked unless `reveal`; text that is
 * not JSON masked the same way as free text.
 */
export function displayBody(body: string | null | undefined, reveal: boolean): string | null {
  if (body === null || body === undefined) return null;
  try {
    const parsed = JSON.parse(body.replace(/^\uFEFF/, '')) as unknown;
    return JSON.stringify(reveal ? parsed : maskValue(parsed), null, 2);
  } catch {
    return reveal ? body : maskText(body);
  }
}

/** Headers without any signature, secret, token, cookie or authorization. */
export function safeHeaders<T>(headers: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, v] of Object.entries(headers)) if (!SECRET_HEADER.test(name)) out[name] = v;
  return out;
}
