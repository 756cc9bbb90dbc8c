import { describe, expect, it } from 'vitest';
import {
  DOMAIN_KEY_FIELDS,
  EVENT_MAPPINGS,
  GHL_ALIASES,
  keyOf,
  mappingFor,
  SEED_EVENT_TYPES,
} from '../../../services/transformer/src/event-mapping.js';
import { PAYLOAD_RECORD_DOMAINS } from '../../../services/transformer/src/generated/neuronx-events.js';

// The seed specification's per-category tables, copied by hand (reproduced in docs/ghl-webhooks.md).
const PER_CATEGORY_TABLES: Record<string, string> = {
  'contact.created': 'neuronx.contact.ingested',
  'contact.updated': 'neuronx.contact.updated',
  'contact.deleted': 'neuronx.contact.deleted',
  'contact.tag.added': 'neuronx.contact.tagged',
  'contact.tag.removed': 'neuronx.contact.untagged',
  'opportunity.created': 'neuronx.opportunity.created',
  'opportunity.updated': 'neuronx.opportunity.updated',
  'opportunity.deleted': 'neuronx.opportunity.deleted',
  'opportunity.stage_changed': 'neuronx.opportunity.stage_changed',
  'conversation.created': 'neuronx.conversation.started',
  'conversation.message.sent': 'neuronx.message.sent',
  'conversation.message.received': 'neuronx.message.received',
  'conversation.status_changed': 'neuronx.conversation.status_changed',
  'calendar.event.created': 'neuronx.appointment.booked',
  'calendar.event.updated': 'neuronx.appointment.updated',
  'calendar.event.cancelled': 'neuronx.appointment.cancelled',
  'calendar.event.completed': 'neuronx.appointment.completed',
  'workflow.triggered': 'neuronx.workflow.started',
  'workflow.step.completed': 'neuronx.workflow.step_completed',
  'workflow.completed': 'neuronx.workflow.completed',
  'workflow.failed': 'neuronx.workflow.failed',
};

// The seed's final summary table: four names that lose to the per-category tables.
const SUMMARY_TABLE_LOSERS = [
  'neuronx.opportunity.progressed',
  'neuronx.communication.received',
  'neuronx.appointment.scheduled',
];

describe('event mapping (the seed per-category tables as data)', () => {
  it('maps exactly the 21 seed events to their per-category NeuronX names', () => {
    expect(SEED_EVENT_TYPES).toHaveLength(21);
    const actual = Object.fromEntries(
      Object.values(EVENT_MAPPINGS).map((m) => [m.seedType, m.neuronxType]),
    );
    expect(actual).toEqual(PER_CATEGORY_TABLES);
    for (const [seedType, mapping] of Object.entries(EVENT_MAPPINGS))
      expect(mapping.seedType).toBe(seedType);
  });

  it('never uses the names of the seed summary table', () => {
    const names = Object.values(EVENT_MAPPINGS).map((m) => m.neuronxType);
    for (const loser of SUMMARY_TABLE_LOSERS) expect(names).not.toContain(loser);
  });

  it('puts each payload record in the schema of its domain, and uses every record once', () => {
    const records = Object.values(EVENT_MAPPINGS).map((m) => m.record);
    expect(new Set(records).size).toBe(21);
    expect(new Set(records)).toEqual(new Set(Object.keys(PAYLOAD_RECORD_DOMAINS)));
    for (const m of Object.values(EVENT_MAPPINGS))
      expect(PAYLOAD_RECORD_DOMAINS[m.record]).toBe(m.domain);
  });

  it('takes dateAdded as the occurrence time only for creations', () => {
    const creations = Object.values(EVENT_MAPPINGS)
      .filter((m) => m.dateAddedIsOccurrence)
      .map((m) => m.seedType)
      .sort();
    expect(creations).toEqual([
      'calendar.event.created',
      'contact.created',
      'conversation.created',
      'conversation.message.received',
      'conversation.message.sent',
      'opportunity.created',
    ]);
  });

  it('resolves the GHL aliases of docs/ghl-webhooks.md, including the documented extension', () => {
    expect(GHL_ALIASES).toEqual({
      ContactCreate: 'contact.created',
      ContactUpdate: 'contact.updated',
      ContactDelete: 'contact.deleted',
      ContactTagUpdate: 'contact.updated',
      OpportunityCreate: 'opportunity.created',
      OpportunityUpdate: 'opportunity.updated',
      OpportunityDelete: 'opportunity.deleted',
      OpportunityStageUpdate: 'opportunity.stage_changed',
      OpportunityStatusUpdate: 'opportunity.updated',
      OpportunityMonetaryValueUpdate: 'opportunity.updated',
      OpportunityAssignedToUpdate: 'opportunity.updated',
      InboundMessage: 'conversation.message.received',
      OutboundMessage: 'conversation.message.sent',
      AppointmentCreate: 'calendar.event.created',
      AppointmentUpdate: 'calendar.event.updated',
      AppointmentDelete: 'calendar.event.cancelled',
    });
    expect(mappingFor('ContactTagUpdate')?.neuronxType).toBe('neuronx.contact.updated');
    expect(mappingFor('InboundMessage')?.neuronxType).toBe('neuronx.message.received');
    expect(mappingFor('contact.created')?.neuronxType).toBe('neuronx.contact.ingested');
  });

  it('knows nothing of unmapped or differently spelled types', () => {
    expect(mappingFor('InvoiceCreate')).toBeUndefined();
    expect(mappingFor('Contact.Created')).toBeUndefined();
    expect(mappingFor('contactcreate')).toBeUndefined();
    expect(mappingFor('toString')).toBeUndefined();
  });

  it('builds keys from the entity id, and workflowId:contactId for workflows', () => {
    expect(DOMAIN_KEY_FIELDS.workflow).toEqual(['workflowId', 'contactId']);
    expect(keyOf('contact', { contactId: 'c1' })).toBe('c1');
    expect(keyOf('appointment', { appointmentId: 'a1' })).toBe('a1');
    expect(keyOf('workflow', { workflowId: 'wf', contactId: 'c1', stepId: 's' })).toBe('wf:c1');
  });
});
