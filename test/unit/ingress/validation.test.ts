import { describe, expect, it } from 'vitest';
import { IngressError } from '../../../services/common/src/errors.js';
import {
  isIdentityEncoding,
  isJsonContentType,
  parseWebhook,
  traceparentOf,
  usableRequestId,
} from '../../../services/ingress/src/validation.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof IngressError ? err.code : 'not an IngressError';
  }
  return undefined;
};
const parse = (text: string) => parseWebhook(Buffer.from(text, 'utf8'));

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

describe('parseWebhook', () => {
  it('takes the seed envelope: event + locationId', () => {
    const w = parse('{"event":"contact.created","locationId":"loc_1","data":{"id":"c"}}');
    expect(w.eventType).toBe('contact.created');
    expect(w.locationId).toBe('loc_1');
    expect(w.payload).toMatchObject({ data: { id: 'c' } });
  });

  it('takes a real GHL flat payload: type + locationId, type kept as received', () => {
    const w = parse('{"type":"ContactCreate","locationId":"ve9EPM428h8vShlRW1KT","id":"c"}');
    expect(w.eventType).toBe('ContactCreate');
  });

  it('prefers event over type when both are present', () => {
    expect(
      parse('{"event":"contact.created","type":"ContactCreate","locationId":"l"}').eventType,
    ).toBe('contact.created');
  });

  it('answers each malformed body with its own 400 code', () => {
    expect(codeOf(() => parse('{"event":'))).toBe('ING_ERR_INVALID_JSON');
    expect(codeOf(() => parse(''))).toBe('ING_ERR_INVALID_JSON');
    expect(codeOf(() => parse('\uFEFF{"event":"a","locationId":"l"}'))).toBe(
      'ING_ERR_INVALID_JSON',
    );
    expect(codeOf(() => parse('[{"event":"a","locationId":"l"}]'))).toBe('ING_ERR_NOT_AN_OBJECT');
    expect(codeOf(() => parse('null'))).toBe('ING_ERR_NOT_AN_OBJECT');
    expect(codeOf(() => parse('"text"'))).toBe('ING_ERR_NOT_AN_OBJECT');
    expect(codeOf(() => parse('{"locationId":"l"}'))).toBe('ING_ERR_MISSING_EVENT_TYPE');
    expect(codeOf(() => parse('{"event":"","locationId":"l"}'))).toBe('ING_ERR_MISSING_EVENT_TYPE');
    expect(codeOf(() => parse('{"event":42,"locationId":"l"}'))).toBe('ING_ERR_MISSING_EVENT_TYPE');
    expect(codeOf(() => parse('{"event":"a"}'))).toBe('ING_ERR_MISSING_LOCATION_ID');
    expect(codeOf(() => parse('{"event":"a","locationId":"  "}'))).toBe(
      'ING_ERR_MISSING_LOCATION_ID',
    );
    expect(codeOf(() => parse('{"event":"a","data":{"locationId":"l"}}'))).toBe(
      'ING_ERR_MISSING_LOCATION_ID',
    );
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
