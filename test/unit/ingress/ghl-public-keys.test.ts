import { createHash, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  GHL_ED25519_PUBLIC_KEY_PEM,
  GHL_RSA_PUBLIC_KEY_PEM,
} from '../../../services/ingress/src/ghl-public-keys.js';
import { createEd25519Verifier } from '../../../services/ingress/src/ed25519-signature.js';
import { createRsaVerifier } from '../../../services/ingress/src/rsa-signature.js';

describe("GHL's published webhook keys", () => {
  it('the RSA key parses as 4096-bit RSA with the documented SPKI fingerprint', () => {
    const key = createPublicKey(GHL_RSA_PUBLIC_KEY_PEM);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const der = key.export({ type: 'spki', format: 'der' });
    expect(createHash('sha256').update(der).digest('hex')).toBe(
      '2f62045d413b1b7747e26770ce7f57840cbf86288cd20ceb90d299a62501fd25',
    );
  });

  it('the Ed25519 key parses as Ed25519', () => {
    const key = createPublicKey(GHL_ED25519_PUBLIC_KEY_PEM);
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(key.export({ type: 'spki', format: 'der' }).length).toBe(44);
  });

  it('both make verifiers that refuse a signature GHL did not make', () => {
    const body = Buffer.from('{"type":"ContactCreate","locationId":"l"}');
    const ed = createEd25519Verifier(createPublicKey(GHL_ED25519_PUBLIC_KEY_PEM));
    const rsa = createRsaVerifier(createPublicKey(GHL_RSA_PUBLIC_KEY_PEM));
    expect(ed.verify(body, Buffer.alloc(64, 1).toString('base64'))).toBe('mismatch');
    expect(rsa.verify(body, Buffer.alloc(512, 1).toString('base64'))).toBe('mismatch');
    expect(rsa.verify(body, Buffer.alloc(256, 1).toString('base64'))).toBe('malformed');
  });
});
