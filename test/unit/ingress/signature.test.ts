import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEd25519Verifier } from '../../../services/ingress/src/ed25519-signature.js';
import { createHmacVerifier, signHmac } from '../../../services/ingress/src/hmac-signature.js';
import { createRsaVerifier } from '../../../services/ingress/src/rsa-signature.js';
import {
  decodeBase64,
  loadPublicKey,
  SignatureChecker,
} from '../../../services/ingress/src/signature.js';

const ed = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const body = Buffer.from('{"event":"contact.created","locationId":"loc_1"}');
const good = {
  'x-ghl-signature': sign(null, body, ed.privateKey).toString('base64'),
  'x-wh-signature': sign('sha256', body, rsa.privateKey).toString('base64'),
  'x-webhook-signature': signHmac(body, 's1'),
};
const bad = {
  'x-ghl-signature': Buffer.alloc(64, 7).toString('base64'),
  'x-wh-signature': Buffer.alloc(256, 7).toString('base64'),
  'x-webhook-signature': signHmac(body, 'wrong'),
};
const all = [
  createHmacVerifier(['s1']),
  createRsaVerifier(rsa.publicKey),
  createEd25519Verifier(ed.publicKey),
];

describe('SignatureChecker: which scheme decides', () => {
  const checker = new SignatureChecker(all);

  it('orders the enabled schemes strongest first whatever the order given', () => {
    expect(checker.schemes).toEqual(['ed25519', 'rsa', 'hmac']);
  });

  it('accepts each scheme on its own', () => {
    for (const [header, scheme] of [
      ['x-ghl-signature', 'ed25519'],
      ['x-wh-signature', 'rsa'],
      ['x-webhook-signature', 'hmac'],
    ] as const) {
      expect(checker.check(body, { [header]: good[header] })).toEqual({ ok: true, scheme });
    }
  });

  it('lets Ed25519 decide when all three are present: a bad Ed25519 is a failure even with good RSA and HMAC', () => {
    expect(checker.check(body, { ...good, 'x-ghl-signature': bad['x-ghl-signature'] })).toEqual({
      ok: false,
      scheme: 'ed25519',
      reason: 'mismatch',
    });
    expect(checker.check(body, { ...bad, 'x-ghl-signature': good['x-ghl-signature'] })).toEqual({
      ok: true,
      scheme: 'ed25519',
    });
  });

  it('lets RSA decide over HMAC', () => {
    const { 'x-ghl-signature': _, ...rest } = good;
    expect(checker.check(body, { ...rest, 'x-wh-signature': bad['x-wh-signature'] })).toMatchObject(
      {
        ok: false,
        scheme: 'rsa',
      },
    );
  });

  it('treats an empty or repeated header as malformed, not as absent', () => {
    expect(checker.check(body, { ...good, 'x-ghl-signature': '' })).toEqual({
      ok: false,
      scheme: 'ed25519',
      reason: 'malformed',
    });
    expect(
      checker.check(body, {
        'x-webhook-signature': [good['x-webhook-signature'], good['x-webhook-signature']],
      }),
    ).toEqual({ ok: false, scheme: 'hmac', reason: 'malformed' });
  });

  it('reports a request without any signature header as missing', () => {
    expect(checker.check(body, { 'content-type': 'application/json' })).toEqual({
      ok: false,
      scheme: 'none',
      reason: 'missing',
    });
  });

  it('ignores headers of disabled schemes: the next enabled one decides, else it is unsigned', () => {
    const hmacOnly = new SignatureChecker([createHmacVerifier(['s1'])]);
    expect(
      hmacOnly.check(body, { ...bad, 'x-webhook-signature': good['x-webhook-signature'] }),
    ).toEqual({
      ok: true,
      scheme: 'hmac',
    });
    expect(hmacOnly.check(body, { 'x-ghl-signature': good['x-ghl-signature'] })).toMatchObject({
      ok: false,
      reason: 'missing',
    });
  });

  it('accepts unsigned requests only when allowed, and still refuses bad signatures then', () => {
    const dev = new SignatureChecker(all, true);
    expect(dev.check(body, {})).toEqual({ ok: true, scheme: 'unsigned' });
    expect(dev.check(body, { 'x-webhook-signature': bad['x-webhook-signature'] })).toMatchObject({
      ok: false,
      scheme: 'hmac',
      reason: 'mismatch',
    });
  });
});

describe('decodeBase64', () => {
  it('decodes standard base64 with or without padding', () => {
    expect(decodeBase64('aGk=')?.toString()).toBe('hi');
    expect(decodeBase64('aGk')?.toString()).toBe('hi');
    expect(decodeBase64('+/+/')).toEqual(Buffer.from([0xfb, 0xff, 0xbf]));
  });

  it('refuses other alphabets, whitespace and impossible lengths', () => {
    for (const s of ['', '-_-_', 'aGk= ', 'a Gk=', 'aGk==x', 'a', 'aGk===']) {
      expect(decodeBase64(s), s).toBeUndefined();
    }
  });
});

describe('loadPublicKey', () => {
  const pem = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('reads PEM, also with literal \\n escapes as one-line env values carry it', () => {
    expect(loadPublicKey(pem, 'ed25519').asymmetricKeyType).toBe('ed25519');
    expect(loadPublicKey(pem.replace(/\n/g, '\\n'), 'ed25519').asymmetricKeyType).toBe('ed25519');
  });

  it('refuses a key of the wrong type and garbage', () => {
    expect(() => loadPublicKey(pem, 'rsa')).toThrow(/expected an rsa public key, got ed25519/);
    expect(() => loadPublicKey('not a key', 'rsa')).toThrow();
  });
});
