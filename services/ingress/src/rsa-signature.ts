import { constants, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, type SchemeVerifier } from './signature.js';

// GHL's legacy scheme: `X-WH-Signature: <base64 RSA-SHA256 PKCS#1 v1.5 signature of the raw body>`.
// Deprecated by GHL from 2026-07-01 but still sent alongside X-GHL-Signature until then.

export function createRsaVerifier(publicKey: KeyObject): SchemeVerifier {
  const bits = publicKey.asymmetricKeyDetails?.modulusLength;
  if (publicKey.asymmetricKeyType !== 'rsa' || bits === undefined) {
    throw new Error('not an RSA public key');
  }
  // A PKCS#1 v1.5 signature is exactly as long as the modulus; anything else is malformed.
  const signatureBytes = Math.ceil(bits / 8);
  const key = { key: publicKey, padding: constants.RSA_PKCS1_PADDING };
  return {
    scheme: 'rsa',
    verify(body, signature) {
      const raw = decodeBase64(signature);
      if (raw?.length !== signatureBytes) return 'malformed';
      return verify('sha256', body, key, raw) ? undefined : 'mismatch';
    },
  };
}
