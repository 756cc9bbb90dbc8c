// The ghl.raw record format, one rule for the ingress, the transformer and the CLI.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveEventId } from '../../../services/common/src/event-id.js';
import {
  bodyFacts,
  decodeBody,
  eventTypeOf,
  rawRecordHeaders,
  recordEventId,
  recordFacts,
} from '../../../services/common/src/raw-record.js';
import { rawRecordOf } from '../../fixtures/index.js';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { rawFields } from '../../../services/common/src/ops/raw-fields.js';

const facts = (text: string) => bodyFacts(Buffer.from(text, 'utf8'));

describe('bodyFacts: what the ingress derives from a signed body', () => {
  it('takes the seed envelope: event + locationId', () => {
    const w = facts('{"event":"contact.created","locationId":"loc_1","data":{"id":"c"}}');
    expect(w).toMatchObject({
      eventType: 'contact.created',
      locationId: 'loc_1',
      body: expect.any(Object) as unknown,
    });
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
        body: undefined,
      });
    expect(facts('{"locationId":"l"}')).toMatchObject({ eventType: undefined, locationId: 'l' });
    expect(facts('{"event":"a"}')).toMatchObject({ eventType: 'a', locationId: undefined });
    expect(facts('{"event":"a","locationId":"  "}').locationId).toBeUndefined();
    expect(facts('{"event":"a","data":{"locationId":"l"}}').locationId).toBeUndefined();
  });

  it('treats bytes that are not UTF-8 as not JSON', () => {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
    expect(bodyFacts(body).body).toBeUndefined();
  });

  it('skips a UTF-8 BOM before the JSON', () => {
    expect(facts('\uFEFF{"event":"a","locationId":"l"}')).toMatchObject({
      eventType: 'a',
      locationId: 'l',
      body: expect.any(Object) as unknown,
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

describe('one event-type rule for the ingress, the transformer and the CLI', () => {
  const context = {
    tenantOf: () => undefined,
    unknownTenantPolicy: 'null' as const,
    unmappedEventPolicy: 'dlq' as const,
  };
  // Each of these was accepted by the ingress with `event-type: ContactCreate`, then sent to the
  // DLQ by the transformer as invalid_envelope.
  it.each([
    ['{"event":"","type":"ContactCreate","locationId":"l","id":"c1"}'],
    ['{"event":123,"type":"ContactCreate","locationId":"l","id":"c1"}'],
    ['{"event":"  ","type":"ContactCreate","locationId":"l","id":"c1"}'],
    ['{"event":null,"type":"ContactCreate","locationId":"l","id":"c1"}'],
  ])('%s is a GHL ContactCreate everywhere', (text) => {
    const bytes = Buffer.from(text);
    const ingress = bodyFacts(bytes);
    expect(ingress.eventType).toBe('ContactCreate');
    const headers = rawRecordHeaders(ingress, {
      receivedAt: 0,
      requestId: 'r',
      signatureScheme: 'hmac',
      contentType: 'application/json',
    });
    expect(headers['event-type']).toBe('ContactCreate');

    const decision = transform(rawRecordOf(bytes, { eventId: 'e1' }), context);
    expect(decision.kind).toBe('emit');
    if (decision.kind !== 'emit') return;
    expect(decision.type).toBe('neuronx.contact.ingested');
    expect(decision.value.sourceEventType).toBe('ContactCreate');
    // The unusable `event` field is entity data of the GHL body: kept, not lost.
    expect(Object.keys(decision.value.attributes as object)).toContain('event');

    // The CLI, with and without the ingress headers.
    expect(rawFields({ key: null, value: bytes, headers: {} }).eventType).toBe('ContactCreate');
    expect(rawFields({ key: null, value: bytes, headers }).eventType).toBe('ContactCreate');
  });

  it('explains a body without a usable type by its `event`, else its `type`', () => {
    expect(eventTypeOf({ event: 42 })).toEqual({
      ok: false,
      message: 'event type must be a string, got number',
    });
    expect(eventTypeOf({ type: ' ' })).toEqual({ ok: false, message: 'event type is empty' });
    expect(eventTypeOf({})).toEqual({ ok: false, message: 'no event type ("event" or "type")' });
    expect(eventTypeOf({ event: 'a', type: 'B' })).toEqual({
      ok: true,
      value: { type: 'a', format: 'seed' },
    });
  });
});

describe('decodeBody', () => {
  it('skips one BOM, refuses invalid UTF-8, and never quotes the input in its message', () => {
    expect(decodeBody(Buffer.from('\uFEFF{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    expect(decodeBody(Buffer.from([0x22, 0xc3, 0x22]))).toMatchObject({
      ok: false,
      reason: 'not-utf8',
    });
    const bad = decodeBody(Buffer.from('{"email":"secret@example.com" x}'));
    expect(bad).toMatchObject({ ok: false, reason: 'not-json' });
    expect(!bad.ok && bad.message).not.toContain('secret');
  });
});

describe('recordEventId / recordFacts: what readers of a stored record see', () => {
  it('takes the event-id header, else the key, trimmed', () => {
    expect(recordEventId('hdr', Buffer.from('key'))).toBe('hdr');
    expect(recordEventId(' ', Buffer.from(' key '))).toBe('key');
    expect(recordEventId(undefined, Buffer.from([0xff]))).toBeUndefined();
    expect(recordEventId(undefined, null)).toBeUndefined();
  });

  it('reads the agency-level facts from the body when the headers are missing', () => {
    const value = Buffer.from('{"type":"LocationUpdate","id":"loc_sub_1","companyId":"co_1"}');
    expect(recordFacts({ key: Buffer.from('k'), value, headers: undefined })).toEqual({
      eventId: 'k',
      eventType: 'LocationUpdate',
      locationId: 'loc_sub_1',
      companyId: undefined,
    });
    const install = Buffer.from('{"type":"INSTALL","installType":"Company","companyId":"co_1"}');
    expect(recordFacts({ key: null, value: install, headers: {} })).toMatchObject({
      locationId: undefined,
      companyId: 'co_1',
    });
  });
});
