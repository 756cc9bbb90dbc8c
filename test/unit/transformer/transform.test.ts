import { describe, expect, it } from 'vitest';
import { DLQ_REASONS } from '../../../services/common/src/errors.js';
import {
  CANONICAL_TYPES,
  GHL_ALIASES,
} from '../../../services/transformer/src/mapping/event-mapping.js';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import type {
  Decision,
  TransformContext,
} from '../../../services/transformer/src/mapping/transform-types.js';
import {
  GHL_FIXTURES,
  MAPPED_FIXTURES,
  POISON_FIXTURES,
  SEED_FIXTURES,
  rawRecordOf,
  type MappedFixture,
} from '../../fixtures/index.js';

const TENANTS: Record<string, string> = {
  loc_123: 'tenant-seed',
  ve9EPM428h8vShlRW1KT: 'tenant-ghl',
};

const context = (overrides: Partial<TransformContext> = {}): TransformContext => ({
  tenantOf: (locationId) => TENANTS[locationId],
  unknownTenantPolicy: 'null',
  unmappedEventPolicy: 'dlq',
  ...overrides,
});

const RECEIVED_AT = '2024-06-01T12:00:00.000Z';

function emitted(fixture: MappedFixture, ctx = context()) {
  const decision = transform(
    rawRecordOf(fixture.bytes, { eventId: `evt-${fixture.name}`, receivedAt: RECEIVED_AT }),
    ctx,
  );
  if (decision.kind !== 'emit')
    throw new Error(`${fixture.name}: ${decision.kind} ${decision.message}`);
  return decision;
}

function dlqOf(decision: Decision) {
  if (decision.kind !== 'dlq') throw new Error(`expected dlq, got ${decision.kind}`);
  return decision;
}

describe('transform: the fixtures cover every seed event and every GHL alias', () => {
  it('has one seed fixture per event of the per-category tables (21)', () => {
    expect(SEED_FIXTURES.map((f) => f.name).sort()).toEqual([...CANONICAL_TYPES].sort());
  });
  it('has one GHL fixture per alias', () => {
    expect(GHL_FIXTURES.map((f) => f.name).sort()).toEqual(Object.keys(GHL_ALIASES).sort());
  });
});

describe.each(MAPPED_FIXTURES.map((f) => [`${f.format} ${f.name}`, f] as const))(
  'transform %s',
  (_label, fixture) => {
    const { expected } = fixture;

    it(`emits ${expected.neuronxType} on ${expected.domain} with key ${expected.key}`, () => {
      const d = emitted(fixture);
      expect(d.type).toBe(expected.neuronxType);
      expect(d.domain).toBe(expected.domain);
      expect(d.key).toBe(expected.key);
      expect(d.eventId).toBe(`evt-${fixture.name}`);
      expect(d.occurredAt).toBe(expected.occurredAt);
    });

    it('fills the envelope', () => {
      const { value } = emitted(fixture);
      expect(value).toMatchObject({
        eventId: `evt-${fixture.name}`,
        type: expected.neuronxType,
        sourceEventType: fixture.name,
        tenantId: TENANTS[expected.locationId],
        locationId: expected.locationId,
        companyId: expected.companyId,
        occurredAt: expected.occurredAt,
        receivedAt: Date.parse(RECEIVED_AT),
      });
    });

    it(`builds a ${expected.record} payload with the expected field values`, () => {
      const { value } = emitted(fixture);
      const payload = value.payload as Record<string, Record<string, unknown>>;
      expect(Object.keys(payload)).toEqual([`com.neuronx.events.${expected.record}`]);
      expect(payload[`com.neuronx.events.${expected.record}`]).toMatchObject(expected.fields);
      if (expected.attributes) expect(value.attributes).toMatchObject(expected.attributes);
    });

    it('loses no input field: every payload field is typed or an attribute', () => {
      const { value } = emitted(fixture);
      const data =
        fixture.format === 'seed'
          ? (fixture.body.data as Record<string, unknown>)
          : flatGhlFields(fixture.body);
      const attributes = value.attributes as Record<string, string>;
      const record = Object.values(value.payload as object)[0] as Record<string, unknown>;
      for (const [key, raw] of Object.entries(data)) {
        if (key in attributes) {
          expect(JSON.parse(attributes[key]!)).toEqual(raw);
          continue;
        }
        // Typed: the value (or its string/epoch form) appears in the typed record.
        expect(fieldIsTyped(key, raw, record), `${fixture.name}.${key}`).toBe(true);
      }
    });
  },
);

/** GHL entity fields as normalise sees them (envelope out, `appointment` flattened). */
function flatGhlFields(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { type: _t, locationId: _l, companyId: _c, timestamp: _ts, appointment, ...rest } = body;
  return { ...(appointment as Record<string, unknown> | undefined), ...rest };
}

function fieldIsTyped(key: string, raw: unknown, record: Record<string, unknown>): boolean {
  const candidates = Object.values(record);
  if (typeof raw === 'string' && (candidates.includes(raw) || candidates.includes(Date.parse(raw))))
    return true;
  if (typeof raw === 'number' && (candidates.includes(raw) || candidates.includes(String(raw))))
    return true;
  if (Array.isArray(raw))
    return candidates.some((c) => Array.isArray(c) && c.length === raw.length);
  return key === 'changes' && Array.isArray(record.changes);
}

describe('transform: GHL specifics', () => {
  const ghl = (name: string) => GHL_FIXTURES.find((f) => f.name === name)!;

  it('maps ContactTagUpdate to contact.updated with the full tag list, not a delta', () => {
    const d = emitted(ghl('ContactTagUpdate'));
    expect(d.type).toBe('neuronx.contact.updated');
    expect(d.value.payload).toEqual({
      'com.neuronx.events.ContactUpdated': expect.objectContaining({
        tags: ['id magna sed Lorem', 'Duis dolor commodo aliqua', 'vip'],
        changes: [],
      }) as unknown,
    });
  });

  it('takes the new stage from pipelineStageId and the value from monetaryValue; no old stage', () => {
    const d = emitted(ghl('OpportunityStageUpdate'));
    expect(Object.values(d.value.payload as object)[0]).toMatchObject({
      newStageId: '7915dedc-8f18-44d5-8bc3-77c04e994a10',
      oldStageId: null,
      value: 2500,
    });
  });

  it('keeps the GHL type in sourceEventType for the opportunity.updated extension', () => {
    for (const name of [
      'OpportunityStatusUpdate',
      'OpportunityMonetaryValueUpdate',
      'OpportunityAssignedToUpdate',
    ]) {
      const d = emitted(ghl(name));
      expect(d.type).toBe('neuronx.opportunity.updated');
      expect(d.value.sourceEventType).toBe(name);
    }
  });

  it('accepts an OutboundMessage without messageId', () => {
    expect(Object.values(emitted(ghl('OutboundMessage')).value.payload as object)[0]).toMatchObject(
      {
        messageId: null,
      },
    );
  });
});

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

describe('transform: policies', () => {
  const unmapped = POISON_FIXTURES.find((p) => p.name === 'unmapped-ghl-type')!;
  const seedContact = SEED_FIXTURES.find((f) => f.name === 'contact.created')!;
  const unknownLocation = Buffer.from(
    seedContact.bytes.toString('utf8').replace('"loc_123"', '"loc_unknown"'),
  );

  it('sends unmapped types to the DLQ under policy dlq', () => {
    const d = dlqOf(transform(rawRecordOf(unmapped.bytes, { eventId: 'e1' }), context()));
    expect(d).toMatchObject({ reason: 'unmapped_event_type', stage: 'map', eventId: 'e1' });
    expect(d.message).toContain('InvoiceCreate');
  });

  it('skips unmapped types under policy skip', () => {
    const d = transform(
      rawRecordOf(unmapped.bytes, { eventId: 'e1' }),
      context({ unmappedEventPolicy: 'skip' }),
    );
    expect(d).toMatchObject({ kind: 'skip', reason: 'unmapped_event_type', eventId: 'e1' });
  });

  it('skip policy does not hide other failures', () => {
    const bad = POISON_FIXTURES.find((p) => p.name === 'contact-without-id')!;
    expect(transform(rawRecordOf(bad.bytes), context({ unmappedEventPolicy: 'skip' })).kind).toBe(
      'dlq',
    );
  });

  it('emits tenantId null for an unknown location under policy null', () => {
    const d = transform(rawRecordOf(unknownLocation), context());
    expect(d.kind).toBe('emit');
    expect(d.kind === 'emit' && d.value.tenantId).toBeNull();
    expect(d.kind === 'emit' && d.value.locationId).toBe('loc_unknown');
  });

  it('sends an unknown location to the DLQ under policy dlq, and a known one through', () => {
    const d = dlqOf(
      transform(rawRecordOf(unknownLocation), context({ unknownTenantPolicy: 'dlq' })),
    );
    expect(d).toMatchObject({ reason: 'unknown_tenant', stage: 'tenant' });
    const known = transform(
      rawRecordOf(seedContact.bytes),
      context({ unknownTenantPolicy: 'dlq' }),
    );
    expect(known.kind === 'emit' && known.value.tenantId).toBe('tenant-seed');
  });

  it('asks the tenant store for the locationId of the body', () => {
    const asked: string[] = [];
    transform(
      rawRecordOf(seedContact.bytes),
      context({ tenantOf: (l) => (asked.push(l), undefined) }),
    );
    expect(asked).toEqual(['loc_123']);
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
