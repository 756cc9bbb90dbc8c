import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEd25519Verifier } from '../../../services/ingress/src/ed25519-signature.js';

// Tests cannot sign with GHL's private key: they make their own pair and configure its public key.
const mine = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const body = Buffer.from(
  '{"type":"ContactCreate","locationId":"loc_1","id":"c_1","webhookId":"w_1"}',
);
const sig = (bytes: Buffer, key = mine.privateKey) => sign(null, bytes, key);

describe('ed25519 verifier (GHL X-GHL-Signature)', () => {
  const verifier = createEd25519Verifier(mine.publicKey);

  it('accepts a base64 Ed25519 signature of the raw body', () => {
    expect(verifier.verify(body, sig(body).toString('base64'))).toBeUndefined();
  });

  it('accepts the signature without base64 padding', () => {
    expect(verifier.verify(body, sig(body).toString('base64').replace(/=+$/, ''))).toBeUndefined();
  });

  it('refuses a signature made with another key', () => {
    expect(verifier.verify(body, sig(body, other.privateKey).toString('base64'))).toBe('mismatch');
  });

  it('refuses a signature of other bytes', () => {
    const changed = Buffer.from(body.toString().replace('c_1', 'c_2'));
    expect(verifier.verify(changed, sig(body).toString('base64'))).toBe('mismatch');
  });

  it('refuses a flipped bit', () => {
    const bad = sig(body);
    bad[10] = bad[10]! ^ 1;
    expect(verifier.verify(body, bad.toString('base64'))).toBe('mismatch');
  });

  it('refuses truncated, non-base64, base64url-only and empty signatures as malformed', () => {
    const good = sig(body);
    expect(verifier.verify(body, good.subarray(0, 63).toString('base64'))).toBe('malformed');
    expect(verifier.verify(body, good.toString('base64').slice(0, 40))).toBe('malformed');
    expect(verifier.verify(body, 'not base64 at all!')).toBe('malformed');
    expect(verifier.verify(body, good.toString('hex'))).toBe('malformed');
    expect(verifier.verify(body, '')).toBe('malformed');
    const url = Buffer.alloc(64, 0xfb).toString('base64url');
    expect(verifier.verify(body, url)).toBe('malformed');
  });

  it('only takes Ed25519 keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => createEd25519Verifier(rsa.publicKey)).toThrow(/Ed25519/);
  });
});
