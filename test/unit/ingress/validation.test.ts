import { describe, expect, it } from 'vitest';
import {
  isIdentityEncoding,
  isJsonContentType,
  traceparentOf,
  usableRequestId,
} from '../../../services/ingress/src/validation.js';

describe('isJsonContentType', () => {
  it('accepts application/json with or without a UTF-8 charset, in any case', () => {
    for (const ct of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'Application/JSON; Charset="utf-8"',
      'application/json; charset=utf8',
      'application/json; boundary=x',
    ]) {
      expect(isJsonContentType(ct), ct).toBe(true);
    }
  });

  it('refuses other media types, other charsets and a missing header', () => {
    for (const ct of [
      undefined,
      '',
      'text/plain',
      'text/json',
      'application/jsonx',
      'application/x-www-form-urlencoded',
      'application/vnd.api+json',
      'application/json; charset=iso-8859-1',
      'application/json; charset=utf-16',
    ]) {
      expect(isJsonContentType(ct), String(ct)).toBe(false);
    }
  });

  it('gives the same verdict from its cache', () => {
    expect(isJsonContentType('application/json; charset=latin1')).toBe(false);
    expect(isJsonContentType('application/json; charset=latin1')).toBe(false);
  });
});

describe('isIdentityEncoding', () => {
  it('accepts no content-encoding or identity, refuses compressed bodies', () => {
    expect(isIdentityEncoding(undefined)).toBe(true);
    expect(isIdentityEncoding('identity')).toBe(true);
    expect(isIdentityEncoding('gzip')).toBe(false);
    expect(isIdentityEncoding('br')).toBe(false);
    expect(isIdentityEncoding('gzip, identity')).toBe(false);
  });
});

describe('traceparentOf / usableRequestId', () => {
  it('forwards a valid W3C traceparent and drops anything else', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceparentOf(tp)).toBe(tp);
    expect(traceparentOf(`${tp}x`)).toBeUndefined();
    expect(traceparentOf('garbage')).toBeUndefined();
    expect(traceparentOf([tp, tp])).toBeUndefined();
    expect(traceparentOf(undefined)).toBeUndefined();
  });

  it('keeps a sane X-Request-Id and refuses long or non-printable ones', () => {
    expect(usableRequestId('req_1234567890')).toBe('req_1234567890');
    expect(usableRequestId('a'.repeat(129))).toBeUndefined();
    expect(usableRequestId('has space')).toBeUndefined();
    expect(usableRequestId('new\nline')).toBeUndefined();
    expect(usableRequestId('')).toBeUndefined();
    expect(usableRequestId(undefined)).toBeUndefined();
  });
});
