import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SchemeVerifier } from './signature.js';

// The seed's scheme: `X-Webhook-Signature: sha256=<hex HMAC-SHA256(raw body, secret)>`. Several
// secrets can be active at once so a secret can be rotated without rejecting deliveries.

const PREFIX = 'sha256=';
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

export function createHmacVerifier(secrets: readonly string[]): SchemeVerifier {
  if (secrets.length === 0) throw new Error('the hmac scheme needs at least one secret');
  const keys = secrets.map((s) => Buffer.from(s, 'utf8'));
  return {
    scheme: 'hmac',
    verify(body, signature) {
      if (!signature.startsWith(PREFIX)) return 'malformed';
      const hex = signature.slice(PREFIX.length);
      // Hex decoding is case-insensitive, so uppercase senders compare equal.
      if (!HEX_SHA256.test(hex)) return 'malformed';
      const given = Buffer.from(hex, 'hex');
      // Every secret is tried, with no early exit, so timing does not tell which one matched.
      let matched = false;
      for (const key of keys) {
        const expected = createHmac('sha256', key).update(body).digest();
        if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
      }
      return matched ? undefined : 'mismatch';
    },
  };
}

/** The header value a seed sender puts on `body` (tests, benchmarks, local tooling). */
export const signHmac = (body: Buffer | string, secret: string): string =>
  `${PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
