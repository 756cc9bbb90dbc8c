// What transform dead-letters, and why: one reason per poison fixture, the eventId of records it
// cannot read, agency-level events and bodies the ingress stores unseen, and bad input that
// must never throw.
import { describe, expect, it } from 'vitest';
import { DLQ_REASONS } from '../../../services/common/src/errors.js';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { POISON_FIXTURES, SEED_FIXTURES, rawRecordOf } from '../../fixtures/index.js';
import { context, dlqOf } from './transform-setup.js';

describe('transform: DLQ reasons', () => {
  it.each(POISON_FIXTURES.map((p) => [p.name, p] as const))('%s', (_name, poison) => {
    const d = dlqOf(transform(rawRecordOf(poison.bytes, { eventId: 'evt-poison' }), context()));
    expect(d.reason).toBe(poison.expected.reason);
    expect(d.stage).toBe(poison.expected.stage);
    expect(d.eventId).toBe('evt-poison');
    expect(d.message.length).toBeGreaterThan(0);
  });

  it('covers every reason the transform can decide (the encode and loop ones are elsewhere)', () => {
    const decided = new Set(POISON_FIXTURES.map((p) => p.expected.reason));
    decided.add('unknown_tenant'); // policy-dependent, tested below
    expect([...decided].sort()).toEqual(
      DLQ_REASONS.filter(
        (r) =>
          ![
            'schema_validation',
            'retries_exhausted',
            'output_too_large',
            'output_rejected',
          ].includes(r),
      ).sort(),
    );
  });

  it('leaves eventId undefined for unparseable records without header or key', () => {
    const d = dlqOf(transform(rawRecordOf(Buffer.from('{oops')), context()));
    expect(d.eventId).toBeUndefined();
  });

  it('derives the eventId of a bad envelope from the body when there is no header', () => {
    const d = dlqOf(
      transform(rawRecordOf(Buffer.from('{"webhookId":"wh-9","locationId":"l"}')), context()),
    );
    expect(d.reason).toBe('invalid_envelope');
    expect(d.eventId).toBe('wh-9');
  });

  it('does not copy input text into the message of a JSON error', () => {
    const d = dlqOf(
      transform(rawRecordOf(Buffer.from('{"email": "secret@example.com" oops}')), context()),
    );
    expect(d.reason).toBe('invalid_json');
    expect(d.message).not.toContain('secret');
    expect(d.message).toMatch(/position \d+/);
  });

  it('accepts a UTF-8 BOM before the JSON', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), SEED_FIXTURES[0]!.bytes]);
    expect(transform(rawRecordOf(bytes), context()).kind).toBe('emit');
  });
});

describe('transform: agency-level events and bodies the ingress stores unseen', () => {
  it('agency-level LocationUpdate without locationId: unmapped_event_type (replayable), not invalid_envelope', () => {
    const body = Buffer.from(
      '{"type":"LocationUpdate","id":"loc_sub_1","companyId":"co_1","name":"Downtown"}',
    );
    const d = dlqOf(transform(rawRecordOf(body, { eventId: 'e-loc' }), context()));
    expect(d).toMatchObject({ reason: 'unmapped_event_type', stage: 'map', eventId: 'e-loc' });
    expect(d.message).toContain('LocationUpdate');
  });

  it('Company-level INSTALL with no location at all: unmapped_event_type, not invalid_envelope', () => {
    const body = Buffer.from(
      '{"type":"INSTALL","installType":"Company","companyId":"co_1","appId":"app_1"}',
    );
    const d = dlqOf(transform(rawRecordOf(body, { eventId: 'e-inst' }), context()));
    expect(d).toMatchObject({ reason: 'unmapped_event_type', stage: 'map' });
  });

  it('an event with neither a location nor a company is still an invalid envelope', () => {
    const d = dlqOf(transform(rawRecordOf(Buffer.from('{"type":"INSTALL"}')), context()));
    expect(d).toMatchObject({ reason: 'invalid_envelope', stage: 'normalise' });
    expect(d.message).toMatch(/no locationId/);
  });

  it('a body that is not UTF-8 is invalid_json, never decoded with replacement characters', () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
    const d = dlqOf(transform(rawRecordOf(bytes, { eventId: 'e-bin' }), context()));
    expect(d).toMatchObject({ reason: 'invalid_json', stage: 'parse', eventId: 'e-bin' });
  });
});
describe('transform: never throws on bad input', () => {
  const bodies: unknown[] = [
    null,
    0,
    true,
    [],
    {},
    { event: null },
    { event: {}, locationId: 'l' },
    { event: 'contact.created', locationId: 'l', data: null },
    {
      event: 'contact.created',
      locationId: 'l',
      data: { id: 'c', tags: [null, {}, [1]], changes: {} },
    },
    { event: 'contact.updated', locationId: 'l', data: { id: 'c', changes: [{ field: 1 }] } },
    { type: 'AppointmentCreate', locationId: 'l', appointment: 'x' },
    { type: 'AppointmentCreate', locationId: 'l', appointment: { id: 'a', startTime: {} } },
    { type: 'InboundMessage', locationId: 'l', conversationId: 1, attachments: 'x' },
    { type: 'ContactCreate', locationId: 'l', id: 'c', timestamp: { at: 1 } },
    {
      event: 'workflow.failed',
      locationId: 'l',
      data: { workflowId: 1, contactId: 2, error: [1] },
    },
  ];
  it.each(bodies.map((b) => [JSON.stringify(b), b] as const))('%s', (_label, body) => {
    const raw = rawRecordOf(Buffer.from(JSON.stringify(body)));
    expect(() => transform(raw, context())).not.toThrow();
  });

  it('keeps an unparseable timestamp as an attribute and falls back for occurredAt', () => {
    const raw = rawRecordOf(
      Buffer.from(
        JSON.stringify({ type: 'ContactCreate', locationId: 'l', id: 'c', timestamp: { at: 1 } }),
      ),
    );
    const d = transform(raw, context());
    expect(d.kind).toBe('emit');
    if (d.kind !== 'emit') return;
    expect(d.value.attributes).toEqual({ timestamp: '{"at":1}' });
    expect(d.occurredAt).toBe(Number(raw.timestamp));
  });
});
