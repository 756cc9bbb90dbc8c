// Every request needs a console token (CONSOLE_TOKEN, or one operator's of CONSOLE_TOKENS): as
// `Authorization: Bearer <token>`, or the HttpOnly SameSite=Strict cookie that opening
// `/?token=<token>` sets. The token names the operator: audit lines say who from it, never from
// anything the request says about itself. State-changing requests are
// POSTs that must also come from the console's own page: Sec-Fetch-Site same-origin (when the
// browser sends it), an Origin equal to the console's (when sent), and the CSRF header that only
// the page can read from /api/session. A cross-site form cannot set the header, and a cross-site
// fetch that tries is stopped by CORS, which the console never allows.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ConsoleError } from '../../common/src/errors.js';
import type { Operator } from './config.js';

export const SESSION_COOKIE = 'console_token';
export const CSRF_HEADER = 'x-csrf-token';

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

/** The operator whose token `given` is; every token is compared (no early exit on a match). */
export function operatorOfToken(
  given: string | undefined,
  operators: readonly Operator[],
): Operator | undefined {
  if (given === undefined) return undefined;
  let found: Operator | undefined;
  for (const o of operators) if (same(given, o.token) && !found) found = o;
  return found;
}

const authenticated = new WeakMap<FastifyRequest, Operator>();

/**
 * Throws CONSOLE_ERR_UNAUTHORIZED unless the request carries an operator's token; remembers the
 * operator for `operatorOf`.
 */
export function requireToken(req: FastifyRequest, operators: readonly Operator[]): Operator {
  const operator = operatorOfToken(presentedToken(req), operators);
  if (!operator) throw new ConsoleError('CONSOLE_ERR_UNAUTHORIZED');
  authenticated.set(req, operator);
  return operator;
}

/** The operator `requireToken` found for this request (throws if it did not run). */
export function operatorOf(req: FastifyRequest): Operator {
  const operator = authenticated.get(req);
  if (!operator) throw new ConsoleError('CONSOLE_ERR_UNAUTHORIZED');
  return operator;
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

/**
 * Who did something, for audit lines: the operator the request's token belongs to (its name in
 * CONSOLE_TOKENS, or "operator" for CONSOLE_TOKEN), the token's fingerprint, the client address.
 */
export function whoOf(req: FastifyRequest): { operator: string; token: string; ip: string } {
  const operator = operatorOf(req);
  return { operator: operator.name, token: tokenFingerprint(operator.token), ip: req.ip };
}
