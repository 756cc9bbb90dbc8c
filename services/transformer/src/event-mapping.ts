// The GHL → NeuronX mapping as data (docs/ghl-webhooks.md). The canonical names are the
// seed's per-category tables (21 events). The seed's final summary table lists four of them and
// names three differently (opportunity.progressed, communication.received, appointment.scheduled);
// it loses, because the per-category tables and the seed's own handler code agree with each other. schemas/README.md
// repeats this table for downstream teams; test/unit/transformer/event-mapping.test.ts pins it.
import type { Domain } from '../../common/src/topics.js';
import type { PayloadRecordName } from './generated/neuronx-events.js';

export const SEED_EVENT_TYPES = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.tag.added',
  'contact.tag.removed',
  'opportunity.created',
  'opportunity.updated',
  'opportunity.deleted',
  'opportunity.stage_changed',
  'conversation.created',
  'conversation.message.sent',
  'conversation.message.received',
  'conversation.status_changed',
  'calendar.event.created',
  'calendar.event.updated',
  'calendar.event.cancelled',
  'calendar.event.completed',
  'workflow.triggered',
  'workflow.step.completed',
  'workflow.completed',
  'workflow.failed',
] as const;
export type SeedEventType = (typeof SEED_EVENT_TYPES)[number];

export interface EventMapping {
  readonly seedType: SeedEventType;
  /** NeuronX type: the envelope `type` and the CloudEvents ce_type. */
  readonly neuronxType: string;
  readonly domain: Domain;
  /** The payload record of schemas/<domain>.avsc (namespace com.neuronx.events). */
  readonly record: PayloadRecordName;
  /**
   * Whether the entity's `dateAdded` is the moment of this event. True for creations only: on an
   * update or delete, dateAdded is when the entity was created, not when the change happened.
   */
  readonly dateAddedIsOccurrence: boolean;
}

const m = (
  seedType: SeedEventType,
  neuronxType: string,
  domain: Domain,
  record: PayloadRecordName,
  dateAddedIsOccurrence = false,
): EventMapping => ({ seedType, neuronxType, domain, record, dateAddedIsOccurrence });

export const EVENT_MAPPINGS: Readonly<Record<SeedEventType, EventMapping>> = Object.freeze({
  'contact.created': m(
    'contact.created',
    'neuronx.contact.ingested',
    'contact',
    'ContactIngested',
    true,
  ),
  'contact.updated': m('contact.updated', 'neuronx.contact.updated', 'contact', 'ContactUpdated'),
  'contact.deleted': m('contact.deleted', 'neuronx.contact.deleted', 'contact', 'ContactDeleted'),
  'contact.tag.added': m('contact.tag.added', 'neuronx.contact.tagged', 'contact', 'ContactTagged'),
  'contact.tag.removed': m(
    'contact.tag.removed',
    'neuronx.contact.untagged',
    'contact',
    'ContactUntagged',
  ),
  'opportunity.created': m(
    'opportunity.created',
    'neuronx.opportunity.created',
    'opportunity',
    'OpportunityCreated',
    true,
  ),
  'opportunity.updated': m(
    'opportunity.updated',
    'neuronx.opportunity.updated',
    'opportunity',
    'OpportunityUpdated',
  ),
  'opportunity.deleted': m(
    'opportunity.deleted',
    'neuronx.opportunity.deleted',
    'opportunity',
    'OpportunityDeleted',
  ),
  'opportunity.stage_changed': m(
    'opportunity.stage_changed',
    'neuronx.opportunity.stage_changed',
    'opportunity',
    'OpportunityStageChanged',
  ),
  'conversation.created': m(
    'conversation.created',
    'neuronx.conversation.started',
    'conversation',
    'ConversationStarted',
    true,
  ),
  'conversation.message.sent': m(
    'conversation.message.sent',
    'neuronx.message.sent',
    'conversation',
    'MessageSent',
    true,
  ),
  'conversation.message.received': m(
    'conversation.message.received',
    'neuronx.message.received',
    'conversation',
    'MessageReceived',
    true,
  ),
  'conversation.status_changed': m(
    'conversation.status_changed',
    'neuronx.conversation.status_changed',
    'conversation',
    'ConversationStatusChanged',
  ),
  'calendar.event.created': m(
    'calendar.event.created',
    'neuronx.appointment.booked',
    'appointment',
    'AppointmentBooked',
    true,
  ),
  'calendar.event.updated': m(
    'calendar.event.updated',
    'neuronx.appointment.updated',
    'appointment',
    'AppointmentUpdated',
  ),
  'calendar.event.cancelled': m(
    'calendar.event.cancelled',
    'neuronx.appointment.cancelled',
    'appointment',
    'AppointmentCancelled',
  ),
  'calendar.event.completed': m(
    'calendar.event.completed',
    'neuronx.appointment.completed',
    'appointment',
    'AppointmentCompleted',
  ),
  'workflow.triggered': m(
    'workflow.triggered',
    'neuronx.workflow.started',
    'workflow',
    'WorkflowStarted',
  ),
  'workflow.step.completed': m(
    'workflow.step.completed',
    'neuronx.workflow.step_completed',
    'workflow',
    'WorkflowStepCompleted',
  ),
  'workflow.completed': m(
    'workflow.completed',
    'neuronx.workflow.completed',
    'workflow',
    'WorkflowCompleted',
  ),
  'workflow.failed': m('workflow.failed', 'neuronx.workflow.failed', 'workflow', 'WorkflowFailed'),
});

/**
 * Real GHL `type` names (docs/ghl-webhooks.md) → the seed name they normalise to.
 * - ContactTagUpdate carries the contact's full tag list, not the tag that changed, so it cannot
 *   be a tagged/untagged event: it is a contact.updated with `tags` set.
 * - OpportunityStatusUpdate / MonetaryValueUpdate / AssignedToUpdate have no seed name; GHL sends
 *   them for one change alongside (or instead of) OpportunityUpdate, so they are opportunity.updated
 *   too (our extension; `sourceEventType` keeps the original name so nothing is hidden).
 * - GHL has no workflow webhooks and no conversation created/status events.
 */
export const GHL_ALIASES: Readonly<Record<string, SeedEventType>> = Object.freeze({
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

/** GHL types whose entity fields are nested under `appointment` instead of the top level. */
export const GHL_NESTED_ENTITY: Readonly<Record<string, string>> = Object.freeze({
  AppointmentCreate: 'appointment',
  AppointmentUpdate: 'appointment',
  AppointmentDelete: 'appointment',
});

/**
 * Payload fields that make each domain topic's Kafka key (docs/architecture.md), joined by ':'.
 * Every one of them is a required (non-null) string field of its payload records.
 */
export const DOMAIN_KEY_FIELDS: Readonly<Record<Domain, readonly string[]>> = Object.freeze({
  contact: ['contactId'],
  opportunity: ['opportunityId'],
  conversation: ['conversationId'],
  appointment: ['appointmentId'],
  workflow: ['workflowId', 'contactId'],
});

/** The Kafka key of a built payload: the entity id (workflow: `workflowId:contactId`). */
export function keyOf(domain: Domain, payload: Readonly<Record<string, unknown>>): string {
  const fields = DOMAIN_KEY_FIELDS[domain];
  if (fields.length === 1) return String(payload[fields[0]!]);
  return fields.map((f) => String(payload[f])).join(':');
}

// One lookup for both spellings, built once: the hot path does a single Map.get per record.
const BY_NAME = new Map<string, EventMapping>();
for (const mapping of Object.values(EVENT_MAPPINGS)) BY_NAME.set(mapping.seedType, mapping);
for (const [alias, seedType] of Object.entries(GHL_ALIASES))
  BY_NAME.set(alias, EVENT_MAPPINGS[seedType]);

/** The mapping of a received event type (seed dotted name or GHL alias); undefined if unmapped. */
export const mappingFor = (receivedType: string): EventMapping | undefined =>
  BY_NAME.get(receivedType);
