import { verify, type KeyObject } from 'node:crypto';
import { decodeBase64, type SchemeVerifier } from './signature.js';

// GHL's current scheme: `X-GHL-Signature: <base64 Ed25519 signature of the raw body>`. Ed25519
// signs the message itself (no pre-hash), hence the `null` digest.

const ED25519_SIGNATURE_BYTES = 64;

export function createEd25519Verifier(publicKey: KeyObject): SchemeVerifier {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return {
    scheme: 'ed25519',
    verify(body, signature) {
      const raw = decodeBase64(signature);
      if (raw?.length !== ED25519_SIGNATURE_BYTES) return 'malformed';
      return verify(null, body, publicKey, raw) ? undefined : 'mismatch';
    },
  };
}
