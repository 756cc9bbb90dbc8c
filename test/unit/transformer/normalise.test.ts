import { describe, expect, it } from 'vitest';
import { deriveEventId } from '../../../services/common/src/event-id.js';
import {
  eventIdOf,
  normalise,
  parseTimestamp,
  type NormalisedEvent,
} from '../../../services/transformer/src/mapping/normalise.js';
import { rawRecordOf } from '../../fixtures/index.js';

const RECORD_TIME = Date.parse('2024-06-01T00:00:00Z');

function ok(body: Record<string, unknown>, opts: Parameters<typeof rawRecordOf>[1] = {}) {
  const result = normalise(body, rawRecordOf(Buffer.from(JSON.stringify(body)), opts));
  if (!result.ok) throw new Error(`expected ok, got ${result.message}`);
  return result.event;
}

function failure(body: Record<string, unknown>) {
  const result = normalise(body, rawRecordOf(Buffer.from(JSON.stringify(body))));
  if (result.ok) throw new Error('expected a failure');
  return result.message;
}

const seed = (extra: Record<string, unknown> = {}) => ({
  event: 'contact.created',
  locationId: 'loc_1',
  companyId: 'comp_1',
  timestamp: '2024-01-03T10:30:00Z',
  data: { id: 'c1', dateAdded: '2023-12-31T00:00:00Z' },
  metadata: { webhookId: 'sub_1', attempt: 2, deliveredAt: '2024-01-03T10:30:05Z' },
  ...extra,
});

describe('normalise: both input formats to one internal event', () => {
  it('reads the seed envelope', () => {
    const event: NormalisedEvent = ok(seed(), { eventId: 'evt-1' });
    expect(event).toMatchObject({
      eventId: 'evt-1',
      type: 'contact.created',
      sourceEventType: 'contact.created',
      locationId: 'loc_1',
      companyId: 'comp_1',
      occurredAt: Date.parse('2024-01-03T10:30:00Z'),
      receivedAt: RECORD_TIME,
      data: { id: 'c1', dateAdded: '2023-12-31T00:00:00Z' },
    });
    expect(event.mapping?.neuronxType).toBe('neuronx.contact.ingested');
  });

  it('reads a GHL flat body: alias resolved, envelope fields out of data, the rest in', () => {
    const event = ok({
      type: 'ContactCreate',
      locationId: 'loc_1',
      companyId: 'comp_9',
      timestamp: '2024-02-01T08:00:00.000Z',
      webhookId: 'wh_1',
      id: 'c1',
      email: 'a@example.com',
    });
    expect(event.type).toBe('contact.created');
    expect(event.sourceEventType).toBe('ContactCreate');
    expect(event.eventId).toBe('wh_1'); // no header, no key: the body rule (webhookId)
    expect(event.companyId).toBe('comp_9');
    expect(event.data).toEqual({ webhookId: 'wh_1', id: 'c1', email: 'a@example.com' });
  });

  it('flattens GHL appointment fields nested under `appointment`, keeping colliding top-level fields', () => {
    const event = ok({
      type: 'AppointmentCreate',
      locationId: 'loc_1',
      id: 'outer-id',
      appointment: { id: 'appt_1', calendarId: 'cal_1', appointmentStatus: 'confirmed' },
      webhookId: 'wh_2',
    });
    expect(event.type).toBe('calendar.event.created');
    expect(event.data).toEqual({
      id: 'appt_1',
      calendarId: 'cal_1',
      appointmentStatus: 'confirmed',
      'root.id': 'outer-id',
      webhookId: 'wh_2',
    });
  });

  it('keeps an unmapped type as received for the policy to decide', () => {
    const event = ok({ type: 'InvoiceCreate', locationId: 'loc_1', _id: 'inv_1' });
    expect(event.mapping).toBeUndefined();
    expect(event.type).toBe('InvoiceCreate');
  });

  it('prefers `event` (seed) over `type` when a body has both', () => {
    const event = ok({ ...seed(), type: 'ContactDelete' });
    expect(event.sourceEventType).toBe('contact.created');
  });

  it('fails on a missing, non-string or empty event type, locationId or seed data', () => {
    expect(failure({ locationId: 'l', data: {} })).toMatch(/no event type/);
    expect(failure({ event: 42, locationId: 'l', data: {} })).toMatch(
      /event type must be a string, got number/,
    );
    expect(failure({ type: ['ContactCreate'], locationId: 'l' })).toMatch(/got array/);
    expect(failure({ event: ' ', locationId: 'l', data: {} })).toMatch(/event type is empty/);
    expect(failure({ event: 'contact.created', data: {} })).toMatch(/no locationId/);
    expect(failure({ type: 'ContactCreate', locationId: 7 })).toMatch(
      /locationId must be a string/,
    );
    expect(failure({ type: 'ContactCreate', locationId: '' })).toMatch(/locationId is empty/);
    expect(failure({ event: 'contact.created', locationId: 'l' })).toMatch(/no "data" object/);
    expect(failure({ event: 'contact.created', locationId: 'l', data: [] })).toMatch(
      /no "data" object/,
    );
    expect(failure({ type: 'ContactCreate', locationId: 'l', companyId: { id: 1 } })).toMatch(
      /companyId must be a string, got object/,
    );
  });

  it('takes the location of an agency-level LocationCreate/LocationUpdate from `id`', () => {
    const event = ok({ type: 'LocationUpdate', id: 'loc_sub_1', companyId: 'co_1', name: 'D' });
    expect(event).toMatchObject({ locationId: 'loc_sub_1', companyId: 'co_1', mapping: undefined });
    expect(event.data).toMatchObject({ id: 'loc_sub_1', name: 'D' });
    // Any other type's `id` is its entity: a mapped event without locationId still fails.
    expect(failure({ type: 'ContactCreate', id: 'c_1', companyId: 'co_1' })).toMatch(
      /no locationId/,
    );
  });

  it('accepts an unmapped agency-level event that names only its company', () => {
    const event = ok({ type: 'INSTALL', installType: 'Company', companyId: 'co_1' });
    expect(event).toMatchObject({ locationId: null, companyId: 'co_1', mapping: undefined });
    expect(failure({ type: 'INSTALL', installType: 'Company' })).toMatch(/no locationId/);
  });

  it('stringifies a numeric companyId and treats an empty one as absent', () => {
    expect(ok(seed({ companyId: 42 })).companyId).toBe('42');
    expect(ok(seed({ companyId: '' })).companyId).toBeNull();
    expect(ok(seed({ companyId: undefined })).companyId).toBeNull();
  });
});

describe('normalise: event ID', () => {
  const body = seed();
  it('takes the event-id header first, then the record key, then the body rule', () => {
    const raw = (opts: Parameters<typeof rawRecordOf>[1]) =>
      rawRecordOf(Buffer.from(JSON.stringify(body)), opts);
    expect(eventIdOf(raw({ eventId: 'hdr', key: Buffer.from('key') }))).toBe('hdr');
    expect(eventIdOf(raw({ key: Buffer.from('key') }))).toBe('key');
    expect(
      eventIdOf(raw({ headers: { 'event-id': '  ' }, key: Buffer.from(' ') })),
    ).toBeUndefined();
    expect(ok(body).eventId).toBe(deriveEventId(body).eventId);
    expect(ok(body).eventId).toMatch(/^sha256:/);
    expect(ok({ ...body, eventId: 'body-evt' }).eventId).toBe('body-evt');
  });

  it('hashes a redelivery (other attempt/deliveredAt) to the same ID', () => {
    const again = seed({ metadata: { webhookId: 'sub_1', attempt: 3, deliveredAt: 'later' } });
    expect(ok(again).eventId).toBe(ok(seed()).eventId);
  });
});

describe('normalise: times', () => {
  it('takes receivedAt from the received-at header, else the record timestamp', () => {
    expect(ok(seed(), { receivedAt: '2024-01-03T10:30:02.500Z' }).receivedAt).toBe(
      Date.parse('2024-01-03T10:30:02.500Z'),
    );
    expect(ok(seed(), { receivedAt: 'garbage' }).receivedAt).toBe(RECORD_TIME);
    expect(ok(seed(), { timestamp: 1_700_000_000_123 }).receivedAt).toBe(1_700_000_000_123);
  });

  it('takes occurredAt from timestamp, then dateAdded for creations only, then receivedAt', () => {
    expect(ok(seed()).occurredAt).toBe(Date.parse('2024-01-03T10:30:00Z'));
    expect(ok(seed({ timestamp: undefined })).occurredAt).toBe(Date.parse('2023-12-31T00:00:00Z'));
    const update = seed({ event: 'contact.updated', timestamp: undefined });
    expect(ok(update).occurredAt).toBe(RECORD_TIME); // dateAdded of an update is not the update
    expect(ok(seed({ timestamp: undefined, data: { id: 'c1' } })).occurredAt).toBe(RECORD_TIME);
  });

  it('falls back on an unparseable timestamp and keeps the raw value', () => {
    const event = ok(seed({ timestamp: 'yesterday-ish' }));
    expect(event.occurredAt).toBe(Date.parse('2023-12-31T00:00:00Z'));
    expect(event.unparsedTimestamp).toBe('yesterday-ish');
    expect(ok(seed()).unparsedTimestamp).toBeUndefined();
  });

  it('parses ISO strings, epoch millis and seconds, numeric strings; rejects the rest', () => {
    expect(parseTimestamp('2024-03-25T16:00:00+05:30')).toBe(Date.parse('2024-03-25T10:30:00Z'));
    // A zone-less date-time is UTC whatever the machine's TZ.
    expect(parseTimestamp('2024-01-03T10:30:00')).toBe(Date.UTC(2024, 0, 3, 10, 30));
    expect(parseTimestamp('2024-01-03T10:30:00.250')).toBe(Date.UTC(2024, 0, 3, 10, 30, 0, 250));
    expect(parseTimestamp(1_704_277_800_000)).toBe(1_704_277_800_000);
    expect(parseTimestamp(1_704_277_800)).toBe(1_704_277_800_000);
    expect(parseTimestamp('1704277800000')).toBe(1_704_277_800_000);
    expect(parseTimestamp('1704277800')).toBe(1_704_277_800_000);
    expect(parseTimestamp(1_704_277_800.9)).toBe(1_704_277_800_900);
    for (const bad of ['', ' ', 'soon', '2024-13-45T99:00:00Z', null, undefined, true, {}, [], NaN])
      expect(parseTimestamp(bad)).toBeUndefined();
    expect(parseTimestamp(Infinity)).toBeUndefined();
    expect(parseTimestamp(1e300)).toBeUndefined(); // would not fit an Avro long
  });
});

describe('parseTimestamp: the documented layouts only, never the host time zone', () => {
  it('reads ISO 8601 / RFC 3339 variants', () => {
    const at = Date.UTC(2026, 0, 12, 15, 0, 0);
    for (const text of [
      '2026-01-12T15:00:00Z',
      '2026-01-12t15:00:00z',
      '2026-01-12T15:00:00',
      '2026-01-12 15:00:00',
      '2026-01-12T15:00Z',
      '2026-01-12T15:00',
      '2026-01-12T16:00:00+01:00',
      '2026-01-12T16:00:00+0100',
      '2026-01-12T16:00:00+01',
      '2026-01-12T10:00:00-05:00',
      '2026-01-12T20:30:00+05:30',
      '2026-01-12T15:00:00.000Z',
      '  2026-01-12T15:00:00Z  ',
      'Mon, 12 Jan 2026 15:00:00 GMT',
    ])
      expect(parseTimestamp(text), text).toBe(at);
    expect(parseTimestamp('2026-01-12')).toBe(Date.UTC(2026, 0, 12));
    expect(parseTimestamp('2026-01-12T15:00:00.5Z')).toBe(at + 500);
    expect(parseTimestamp('2026-01-12T15:00:00,25Z')).toBe(at + 250);
    expect(parseTimestamp('2026-01-12T15:00:00.123456789Z')).toBe(at + 123);
    // Years 0–99 are those years, not 1900–1999.
    expect(new Date(parseTimestamp('0099-01-01T00:00:00Z')!).getUTCFullYear()).toBe(99);
  });

  it('keeps other layouts and impossible dates out (the caller keeps them as text)', () => {
    for (const text of [
      '12/01/2026 15:00:00',
      '01.12.2026',
      'Dec 1, 2026',
      '2026-1-12',
      '2026-02-30',
      '2026-01-12T24:00:00Z',
      '2026-01-12T15:60:00Z',
      '2026-01-12T15:00:00+25:00',
      '2026-01-12Z',
      'Tue, 01 Dec 2026 15:00:00',
      'Tue, 01 Dec 2026 15:00:00 EST',
    ])
      expect(parseTimestamp(text), text).toBeUndefined();
  });
});

describe('normalise: hostile keys', () => {
  it('keeps a "__proto__" key as data instead of changing the prototype', () => {
    const body = JSON.parse(
      '{"type":"ContactCreate","locationId":"l","id":"c1","__proto__":{"polluted":true}}',
    ) as Record<string, unknown>;
    const event = ok(body);
    expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
    expect(Object.hasOwn(event.data, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
