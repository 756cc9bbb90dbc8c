import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRsaVerifier } from '../../../services/ingress/src/rsa-signature.js';

// 2048 bits keeps key generation fast; GHL's real key is 4096 (ghl-public-keys.test.ts).
const mine = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const body = Buffer.from('{"type":"OpportunityStageUpdate","locationId":"loc_1","id":"o_1"}');
const sig = (bytes: Buffer, key = mine.privateKey) => sign('sha256', bytes, key);

describe('rsa verifier (GHL legacy X-WH-Signature)', () => {
  const verifier = createRsaVerifier(mine.publicKey);

  it('accepts a base64 RSA-SHA256 PKCS#1 v1.5 signature of the raw body', () => {
    expect(verifier.verify(body, sig(body).toString('base64'))).toBeUndefined();
  });

  it('refuses a signature made with another key', () => {
    expect(verifier.verify(body, sig(body, other.privateKey).toString('base64'))).toBe('mismatch');
  });

  it('refuses a signature of other bytes', () => {
    expect(verifier.verify(Buffer.from(`${body.toString()} `), sig(body).toString('base64'))).toBe(
      'mismatch',
    );
  });

  it('refuses a PSS signature (only PKCS#1 v1.5 is GHL legacy)', () => {
    const pss = sign('sha256', body, {
      key: mine.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
    });
    expect(verifier.verify(body, pss.toString('base64'))).toBe('mismatch');
  });

  it('refuses a SHA-1 signature', () => {
    expect(verifier.verify(body, sign('sha1', body, mine.privateKey).toString('base64'))).toBe(
      'mismatch',
    );
  });

  it('refuses truncated, non-base64 and empty signatures as malformed', () => {
    const good = sig(body);
    expect(verifier.verify(body, good.subarray(0, 255).toString('base64'))).toBe('malformed');
    expect(verifier.verify(body, Buffer.concat([good, Buffer.from([0])]).toString('base64'))).toBe(
      'malformed',
    );
    expect(verifier.verify(body, '%%%')).toBe('malformed');
    expect(verifier.verify(body, '')).toBe('malformed');
  });

  it('only takes RSA keys', () => {
    expect(() => createRsaVerifier(generateKeyPairSync('ed25519').publicKey)).toThrow(/RSA/);
  });
});
