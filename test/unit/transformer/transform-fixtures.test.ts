// transform on every fixture: one per seed event and per GHL alias, each emitted with its type,
// domain, key, envelope and typed payload, losing no input field; then the GHL specifics.
import { describe, expect, it } from 'vitest';
import {
  CANONICAL_TYPES,
  GHL_ALIASES,
} from '../../../services/transformer/src/mapping/event-mapping.js';
import { GHL_FIXTURES, MAPPED_FIXTURES, SEED_FIXTURES } from '../../fixtures/index.js';
import { RECEIVED_AT, TENANTS, emitted } from './transform-setup.js';

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
