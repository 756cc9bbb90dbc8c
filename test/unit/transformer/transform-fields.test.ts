// Which input field transform takes when a body carries both the spelling of its own format and
// the other one (the other kept as an attribute), and times that never depend on the host's TZ.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { rawRecordOf } from '../../fixtures/index.js';
import { RECEIVED_AT, context } from './transform-setup.js';

describe('transform: each format reads its own field names first', () => {
  const payloadOf = (body: Record<string, unknown>) => {
    const d = transform(rawRecordOf(Buffer.from(JSON.stringify(body))), context());
    if (d.kind !== 'emit') throw new Error(`${d.kind}: ${d.message}`);
    return {
      payload: Object.values(d.value.payload as object)[0] as Record<string, unknown>,
      attributes: d.value.attributes as Record<string, string>,
    };
  };

  it('a GHL flat OpportunityCreate with monetaryValue and a custom `value` keeps monetaryValue as the value', () => {
    const { payload, attributes } = payloadOf({
      type: 'OpportunityCreate',
      locationId: 'l',
      id: 'o1',
      monetaryValue: 1250,
      value: 'gold',
    });
    expect(payload.value).toBe(1250);
    expect(attributes.value).toBe('"gold"');
    expect(attributes).not.toHaveProperty('monetaryValue');
  });

  it('a GHL flat OpportunityCreate with monetaryValue and a custom numeric `value` still takes monetaryValue', () => {
    const { payload, attributes } = payloadOf({
      type: 'OpportunityUpdate',
      locationId: 'l',
      id: 'o1',
      monetaryValue: 1250,
      value: 3,
    });
    expect(payload.value).toBe(1250);
    expect(attributes.value).toBe('3');
  });

  it('a seed payload keeps the seed spelling first (value over a custom monetaryValue)', () => {
    const { payload, attributes } = payloadOf({
      event: 'opportunity.created',
      locationId: 'l',
      data: { id: 'o1', value: 99, monetaryValue: 'n/a' },
    });
    expect(payload.value).toBe(99);
    expect(attributes.monetaryValue).toBe('"n/a"');
  });

  it('a GHL appointment with appointmentStatus and a custom `status` keeps appointmentStatus', () => {
    const { payload, attributes } = payloadOf({
      type: 'AppointmentUpdate',
      locationId: 'l',
      appointment: { id: 'a1', appointmentStatus: 'confirmed', status: 'vip-lane' },
    });
    expect(payload.status).toBe('confirmed');
    expect(attributes.status).toBe('"vip-lane"');
  });

  it('a GHL message with `body` and a custom `message` keeps body as the text, and messageType as the channel', () => {
    const { payload, attributes } = payloadOf({
      type: 'InboundMessage',
      locationId: 'l',
      conversationId: 'cv1',
      messageType: 'SMS',
      channel: 'legacy',
      body: 'Hello',
      message: 'not the text',
    });
    expect(payload).toMatchObject({ body: 'Hello', channel: 'SMS' });
    expect(attributes).toMatchObject({ message: '"not the text"', channel: '"legacy"' });
  });

  it('a GHL OpportunityStageUpdate with pipelineStageId and a custom newStageId keeps pipelineStageId', () => {
    const { payload, attributes } = payloadOf({
      type: 'OpportunityStageUpdate',
      locationId: 'l',
      id: 'o1',
      pipelineStageId: 'stage_new',
      newStageId: 'custom',
    });
    expect(payload.newStageId).toBe('stage_new');
    expect(attributes.newStageId).toBe('"custom"');
  });

  it('a message body that is an object is never turned into JSON text: null, kept in attributes', () => {
    for (const body of [
      { type: 'InboundMessage', locationId: 'l', conversationId: 'cv', body: { html: '<p>' } },
      {
        event: 'conversation.message.sent',
        locationId: 'l',
        data: { conversationId: 'cv', message: { html: '<p>' } },
      },
    ]) {
      const { payload, attributes } = payloadOf(body);
      expect(payload.body).toBeNull();
      expect(Object.values(attributes)).toContain('{"html":"<p>"}');
    }
  });
});

describe('transform: times never depend on the host time zone', () => {
  const realTz = process.env.TZ;
  const withTz = <T>(tz: string, fn: () => T): T => {
    process.env.TZ = tz; // Node re-reads TZ when it changes
    try {
      return fn();
    } finally {
      if (realTz === undefined) delete process.env.TZ;
      else process.env.TZ = realTz;
    }
  };
  const created = (dateAdded: string) =>
    Buffer.from(JSON.stringify({ type: 'ContactCreate', locationId: 'l', id: 'c', dateAdded }));

  it('"dateAdded": "12/01/2026 15:00:00" with TZ=America/New_York is not read five hours late: kept as text, occurredAt falls back', () => {
    const raw = rawRecordOf(created('12/01/2026 15:00:00'), { receivedAt: RECEIVED_AT });
    for (const tz of ['America/New_York', 'Pacific/Kiritimati', 'UTC']) {
      const d = withTz(tz, () => transform(raw, context()));
      if (d.kind !== 'emit') throw new Error(d.message);
      expect(d.occurredAt, tz).toBe(Date.parse(RECEIVED_AT));
      expect(d.value.attributes, tz).toEqual({ dateAdded: '"12/01/2026 15:00:00"' });
    }
  });

  it('reads zone-less ISO and RFC 3339 date-times as UTC under any TZ', () => {
    for (const tz of ['America/New_York', 'Pacific/Kiritimati', 'Asia/Kolkata']) {
      for (const text of ['2026-01-12T15:00:00', '2026-01-12 15:00:00', '2026-01-12T15:00']) {
        const d = withTz(tz, () => transform(rawRecordOf(created(text)), context()));
        expect(d.kind === 'emit' && d.occurredAt, `${tz} ${text}`).toBe(Date.UTC(2026, 0, 12, 15));
      }
      const dateOnly = withTz(tz, () => transform(rawRecordOf(created('2026-01-12')), context()));
      expect(dateOnly.kind === 'emit' && dateOnly.occurredAt, tz).toBe(Date.UTC(2026, 0, 12));
    }
  });
});
