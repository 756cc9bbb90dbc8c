import { createPublicKey, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

// Webhook signature selection (docs/architecture.md, docs/ghl-webhooks.md). Each scheme lives in its own
// file; this one decides which scheme judges a request. Every scheme checks the raw request bytes:
// re-serialised JSON differs from what the sender signed as soon as key order, whitespace, unicode
// escapes or number formatting differ.

export const SIGNATURE_SCHEMES = ['hmac', 'ed25519', 'rsa'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** Strongest first: GHL says to prefer X-GHL-Signature when both GHL headers are present. */
export const SCHEME_STRENGTH: readonly SignatureScheme[] = ['ed25519', 'rsa', 'hmac'];

export const SIGNATURE_HEADERS: Readonly<Record<SignatureScheme, string>> = {
  ed25519: 'x-ghl-signature',
  rsa: 'x-wh-signature',
  hmac: 'x-webhook-signature',
};

/** Why a signature was refused; a metric label, so a closed list. */
export type SignatureFailure = 'missing' | 'malformed' | 'mismatch';

export interface SchemeVerifier {
  readonly scheme: SignatureScheme;
  /** `undefined` when `signature` is a valid signature of `body`, else why not. */
  verify(body: Buffer, signature: string): Exclude<SignatureFailure, 'missing'> | undefined;
}

/** `signature-scheme` header value of a record accepted without a signature (dev only). */
export const UNSIGNED = 'unsigned';

export type SignatureOutcome =
  | { ok: true; scheme: SignatureScheme | typeof UNSIGNED }
  | { ok: false; scheme: SignatureScheme | 'none'; reason: SignatureFailure };

const MISSING: SignatureOutcome = { ok: false, scheme: 'none', reason: 'missing' };
const UNSIGNED_OK: SignatureOutcome = { ok: true, scheme: UNSIGNED };

export class SignatureChecker {
  private readonly verifiers: readonly SchemeVerifier[];

  constructor(
    verifiers: readonly SchemeVerifier[],
    private readonly allowUnsigned = false,
  ) {
    this.verifiers = SCHEME_STRENGTH.flatMap((s) => verifiers.filter((v) => v.scheme === s));
  }

  get schemes(): SignatureScheme[] {
    return this.verifiers.map((v) => v.scheme);
  }

  /**
   * The strongest enabled scheme whose header is present decides, and its failure is final: a
   * request never gets a second chance with a weaker scheme. Headers of disabled schemes are
   * ignored, so such a request counts as unsigned.
   */
  check(body: Buffer, headers: IncomingHttpHeaders): SignatureOutcome {
    for (const verifier of this.verifiers) {
      const value = headers[SIGNATURE_HEADERS[verifier.scheme]];
      if (value === undefined) continue;
      // A repeated header arrives as an array (or comma-joined); one request, one signature.
      const reason =
        typeof value === 'string' && value !== ''
          ? verifier.verify(body, value)
          : ('malformed' as const);
      return reason === undefined
        ? { ok: true, scheme: verifier.scheme }
        : { ok: false, scheme: verifier.scheme, reason };
    }
    return this.allowUnsigned ? UNSIGNED_OK : MISSING;
  }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Standard base64 (padding optional); `undefined` for anything else, including base64url. */
export function decodeBase64(value: string): Buffer | undefined {
  if (!BASE64.test(value) || value.length % 4 === 1) return undefined;
  return Buffer.from(value, 'base64');
}

/**
 * A PEM public key from config. Environment variables often carry PEM with literal `\n`
 * sequences instead of newlines (one-line secrets), so those are turned back into newlines.
 */
export function loadPublicKey(pem: string, type: 'ed25519' | 'rsa'): KeyObject {
  const key = createPublicKey(pem.replace(/\\n/g, '\n'));
  if (key.asymmetricKeyType !== type) {
    throw new Error(`expected an ${type} public key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}
