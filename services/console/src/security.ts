// Every request needs the console token (CONSOLE_TOKEN): as `Authorization: Bearer <token>`, or the
// HttpOnly SameSite=Strict cookie that opening `/?token=<token>` sets. State-changing requests are
// POSTs that must also come from the console's own page: Sec-Fetch-Site same-origin (when the
// browser sends it), an Origin equal to the console's (when sent), and the CSRF header that only
// the page can read from /api/session. A cross-site form cannot set the header, and a cross-site
// fetch that tries is stopped by CORS, which the console never allows.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ConsoleError } from '../../common/src/errors.js';

export const SESSION_COOKIE = 'console_token';
export const CSRF_HEADER = 'x-csrf-token';
export const OPERATOR_HEADER = 'x-console-operator';

const same = (a: string, b: string): boolean => {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
};

/** The CSRF token of a console token (HMAC, so it reveals nothing about the token). */
export const csrfTokenOf = (token: string): string =>
  createHmac('sha256', token).update('console-csrf').digest('hex');

/** A short, non-reversible name of the token for audit lines. */
export const tokenFingerprint = (token: string): string =>
  createHash('sha256').update(token).digest('hex').slice(0, 12);

/** The value of one cookie of the request, if sent. */
export function cookieOf(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The token the request carries (bearer header first, then the session cookie). */
export function presentedToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return cookieOf(req, SESSION_COOKIE);
}

/** Throws CONSOLE_ERR_UNAUTHORIZED unless the request carries the token. */
export function requireToken(req: FastifyRequest, token: string): void {
  const given = presentedToken(req);
  if (given === undefined || !same(given, token))
    throw new ConsoleError('CONSOLE_ERR_UNAUTHORIZED');
}

/** Throws CONSOLE_ERR_CROSS_SITE unless a POST comes from the console's own page. */
export function requireSameOrigin(req: FastifyRequest, token: string): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new ConsoleError(
      'CONSOLE_ERR_CROSS_SITE',
      `cross-site request refused (Sec-Fetch-Site: ${String(site)})`,
    );
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`)
    throw new ConsoleError('CONSOLE_ERR_CROSS_SITE', 'cross-site request refused (Origin)');
  const csrf = req.headers[CSRF_HEADER];
  if (typeof csrf !== 'string' || !same(csrf, csrfTokenOf(token)))
    throw new ConsoleError('CONSOLE_ERR_CROSS_SITE', `missing or wrong ${CSRF_HEADER} header`);
}

/** Who did something, for audit lines: the name the page sends, the token's fingerprint, the address. */
export function whoOf(
  req: FastifyRequest,
  token: string,
): { operator: string; token: string; ip: string } {
  const raw = req.headers[OPERATOR_HEADER];
  const operator =
    typeof raw === 'string' && raw.trim() !== '' ? raw.trim().slice(0, 64) : 'unnamed';
  return { operator, token: tokenFingerprint(token), ip: req.ip };
}
