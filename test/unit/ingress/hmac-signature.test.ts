import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createHmacVerifier, signHmac } from '../../../services/ingress/src/hmac-signature.js';

const body = Buffer.from('{"event":"contact.created","locationId":"loc_1","data":{"id":"c_1"}}');
const hex = (secret: string, bytes: Buffer = body) =>
  createHmac('sha256', secret).update(bytes).digest('hex');

describe('hmac verifier (seed X-Webhook-Signature)', () => {
  const verifier = createHmacVerifier(['s1']);

  it('accepts sha256=<hex> of the raw body with the configured secret', () => {
    expect(verifier.verify(body, `sha256=${hex('s1')}`)).toBeUndefined();
    expect(signHmac(body, 's1')).toBe(`sha256=${hex('s1')}`);
  });

  it('accepts uppercase hex', () => {
    expect(verifier.verify(body, `sha256=${hex('s1').toUpperCase()}`)).toBeUndefined();
  });

  it('refuses a signature made with another secret', () => {
    expect(verifier.verify(body, `sha256=${hex('wrong')}`)).toBe('mismatch');
  });

  it('refuses a signature of other bytes (re-serialised JSON is not the body)', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString())), 'utf8');
    const spaced = Buffer.from(body.toString().replace(/,/g, ', '));
    expect(verifier.verify(spaced, `sha256=${hex('s1', body)}`)).toBe('mismatch');
    expect(
      verifier.verify(body, `sha256=${hex('s1', Buffer.concat([reserialised, Buffer.from(' ')]))}`),
    ).toBe('mismatch');
  });

  it('requires the sha256= prefix', () => {
    expect(verifier.verify(body, hex('s1'))).toBe('malformed');
    expect(verifier.verify(body, `sha1=${hex('s1')}`)).toBe('malformed');
    expect(verifier.verify(body, `SHA256=${hex('s1')}`)).toBe('malformed');
  });

  it('refuses truncated, over-long and non-hex signatures without comparing', () => {
    expect(verifier.verify(body, `sha256=${hex('s1').slice(0, 63)}`)).toBe('malformed');
    expect(verifier.verify(body, `sha256=${hex('s1').slice(0, 32)}`)).toBe('malformed');
    expect(verifier.verify(body, `sha256=${hex('s1')}00`)).toBe('malformed');
    expect(verifier.verify(body, `sha256=${'z'.repeat(64)}`)).toBe('malformed');
    expect(
      verifier.verify(body, `sha256=${Buffer.from(hex('s1'), 'hex').toString('base64')}`),
    ).toBe('malformed');
  });

  it('refuses an empty signature and a bare prefix', () => {
    expect(verifier.verify(body, '')).toBe('malformed');
    expect(verifier.verify(body, 'sha256=')).toBe('malformed');
  });

  it('accepts every active secret during a rotation, and only those', () => {
    const rotating = createHmacVerifier(['old-secret', 'new-secret']);
    expect(rotating.verify(body, `sha256=${hex('old-secret')}`)).toBeUndefined();
    expect(rotating.verify(body, `sha256=${hex('new-secret')}`)).toBeUndefined();
    expect(rotating.verify(body, `sha256=${hex('retired-secret')}`)).toBe('mismatch');
  });

  it('verifies an empty body like any other bytes', () => {
    expect(
      verifier.verify(Buffer.alloc(0), `sha256=${hex('s1', Buffer.alloc(0))}`),
    ).toBeUndefined();
  });

  it('cannot be built without a secret', () => {
    expect(() => createHmacVerifier([])).toThrow(/at least one secret/);
  });
});
