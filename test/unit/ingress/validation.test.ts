import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { deriveEventId } from '../../../services/common/src/event-id.js';
import {
  isIdentityEncoding,
  isJsonContentType,
  traceparentOf,
  usableRequestId,
  webhookFacts,
} from '../../../services/ingress/src/validation.js';

const facts = (text: string) => webhookFacts(Buffer.from(text, 'utf8'));

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

describe('webhookFacts', () => {
  it('takes the seed envelope: event + locationId', () => {
    const w = facts('{"event":"contact.created","locationId":"loc_1","data":{"id":"c"}}');
    expect(w).toMatchObject({ eventType: 'contact.created', locationId: 'loc_1', isObject: true });
    expect(w.eventId).toBe(
      deriveEventId({ event: 'contact.created', locationId: 'loc_1', data: { id: 'c' } }).eventId,
    );
  });

  it('takes a real GHL flat payload: type + locationId, type kept as received', () => {
    const w = facts('{"type":"ContactCreate","locationId":"ve9EPM428h8vShlRW1KT","id":"c"}');
    expect(w.eventType).toBe('ContactCreate');
  });

  it('prefers event over type when both are present', () => {
    expect(
      facts('{"event":"contact.created","type":"ContactCreate","locationId":"l"}').eventType,
    ).toBe('contact.created');
  });

  it('never throws: a signed body that is not a usable envelope gets the facts it has', () => {
    const bytesId = (text: string) =>
      `sha256:${createHash('sha256').update(Buffer.from(text)).digest('hex')}`;
    for (const text of ['{"event":', '', '[{"event":"a","locationId":"l"}]', 'null', '"text"'])
      expect(facts(text), text).toEqual({
        eventId: bytesId(text),
        eventType: undefined,
        locationId: undefined,
        companyId: undefined,
        isObject: false,
      });
    expect(facts('{"locationId":"l"}')).toMatchObject({ eventType: undefined, locationId: 'l' });
    expect(facts('{"event":"a"}')).toMatchObject({ eventType: 'a', locationId: undefined });
    expect(facts('{"event":"a","locationId":"  "}').locationId).toBeUndefined();
    expect(facts('{"event":"a","data":{"locationId":"l"}}').locationId).toBeUndefined();
  });

  it('treats bytes that are not UTF-8 as not JSON', () => {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
    expect(webhookFacts(body).isObject).toBe(false);
  });

  it('skips a UTF-8 BOM before the JSON', () => {
    expect(facts('\uFEFF{"event":"a","locationId":"l"}')).toMatchObject({
      eventType: 'a',
      locationId: 'l',
      isObject: true,
    });
  });

  it('takes the location of an agency-level LocationCreate/LocationUpdate from `id`', () => {
    expect(
      facts('{"type":"LocationUpdate","id":"loc_sub_1","companyId":"co_1","name":"Downtown"}'),
    ).toMatchObject({ eventType: 'LocationUpdate', locationId: 'loc_sub_1', companyId: undefined });
    expect(facts('{"type":"LocationCreate","id":"loc_new","companyId":"co_1"}').locationId).toBe(
      'loc_new',
    );
    // Only those types: any other event's `id` is its entity, not a location.
    expect(facts('{"type":"ContactCreate","id":"c_1"}').locationId).toBeUndefined();
  });

  it('names the company of an agency-level event without a location', () => {
    expect(
      facts('{"type":"INSTALL","installType":"Company","companyId":"co_1","appId":"a"}'),
    ).toMatchObject({ eventType: 'INSTALL', locationId: undefined, companyId: 'co_1' });
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
