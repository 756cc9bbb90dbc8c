// The GHL → NeuronX mapping as data (docs/ghl-webhooks.md), one row per canonical type: the
// dotted internal name every received type normalises to (a seed name as received, or the one a
// GHL type is an alias of). The rows are the seed's per-category tables (21 events). The seed's
// final summary table lists four of them and names three differently (opportunity.progressed,
// communication.received, appointment.scheduled); it loses, because the per-category tables and
// the seed's own handler code agree with each other. schemas/README.md shows this table to
// downstream teams; test/unit/transformer/event-mapping.test.ts pins it to the seed's tables and
// to that README. A row's domain is its record's (the schema that defines the record), and the
// Kafka key of each domain topic is declared with the topic in infra/topics.json.
import type { Domain } from '../../../common/src/topics.js';
import {
  PAYLOAD_RECORD_DOMAINS,
  type PayloadRecordName,
} from '../avro/generated/neuronx-events.js';

interface MappingRow {
  /** NeuronX type: the envelope `type` and the CloudEvents ce_type. */
  readonly neuronxType: string;
  /** The payload record (namespace com.neuronx.events); its schema is the event's domain. */
  readonly record: PayloadRecordName;
  /** Real GHL `type` names that are aliases of this canonical type (docs/ghl-webhooks.md). */
  readonly ghl?: readonly string[];
  /**
   * Whether the entity's `dateAdded` is the moment of this event. True for creations only: on an
   * update or delete, dateAdded is when the entity was created, not when the change happened.
   */
  readonly dateAddedIsOccurrence?: true;
}

// GHL has no workflow webhooks and no conversation created/status events: those rows have no ghl.
const ROWS = {
  'contact.created': {
    neuronxType: 'neuronx.contact.ingested',
    record: 'ContactIngested',
    ghl: ['ContactCreate'],
    dateAddedIsOccurrence: true,
  },
  // ContactTagUpdate carries the contact's full tag list, not the tag that changed, so it cannot
  // be a tagged/untagged event: it is a contact.updated with `tags` set.
  'contact.updated': {
    neuronxType: 'neuronx.contact.updated',
    record: 'ContactUpdated',
    ghl: ['ContactUpdate', 'ContactTagUpdate'],
  },
  'contact.deleted': {
    neuronxType: 'neuronx.contact.deleted',
    record: 'ContactDeleted',
    ghl: ['ContactDelete'],
  },
  'contact.tag.added': { neuronxType: 'neuronx.contact.tagged', record: 'ContactTagged' },
  'contact.tag.removed': { neuronxType: 'neuronx.contact.untagged', record: 'ContactUntagged' },
  'opportunity.created': {
    neuronxType: 'neuronx.opportunity.created',
    record: 'OpportunityCreated',
    ghl: ['OpportunityCreate'],
    dateAddedIsOccurrence: true,
  },
  // OpportunityStatusUpdate / MonetaryValueUpdate / AssignedToUpdate have no seed name; GHL sends
  // them for one change alongside (or instead of) OpportunityUpdate, so they are opportunity.updated
  // too (our extension; `sourceEventType` keeps the original name so nothing is hidden).
  'opportunity.updated': {
    neuronxType: 'neuronx.opportunity.updated',
    record: 'OpportunityUpdated',
    ghl: [
      'OpportunityUpdate',
      'OpportunityStatusUpdate',
      'OpportunityMonetaryValueUpdate',
      'OpportunityAssignedToUpdate',
    ],
  },
  'opportunity.deleted': {
    neuronxType: 'neuronx.opportunity.deleted',
    record: 'OpportunityDeleted',
    ghl: ['OpportunityDelete'],
  },
  'opportunity.stage_changed': {
    neuronxType: 'neuronx.opportunity.stage_changed',
    record: 'OpportunityStageChanged',
    ghl: ['OpportunityStageUpdate'],
  },
  'conversation.created': {
    neuronxType: 'neuronx.conversation.started',
    record: 'ConversationStarted',
    dateAddedIsOccurrence: true,
  },
  'conversation.message.sent': {
    neuronxType: 'neuronx.message.sent',
    record: 'MessageSent',
    ghl: ['OutboundMessage'],
    dateAddedIsOccurrence: true,
  },
  'conversation.message.received': {
    neuronxType: 'neuronx.message.received',
    record: 'MessageReceived',
    ghl: ['InboundMessage'],
    dateAddedIsOccurrence: true,
  },
  'conversation.status_changed': {
    neuronxType: 'neuronx.conversation.status_changed',
    record: 'ConversationStatusChanged',
  },
  'calendar.event.created': {
    neuronxType: 'neuronx.appointment.booked',
    record: 'AppointmentBooked',
    ghl: ['AppointmentCreate'],
    dateAddedIsOccurrence: true,
  },
  'calendar.event.updated': {
    neuronxType: 'neuronx.appointment.updated',
    record: 'AppointmentUpdated',
    ghl: ['AppointmentUpdate'],
  },
  'calendar.event.cancelled': {
    neuronxType: 'neuronx.appointment.cancelled',
    record: 'AppointmentCancelled',
    ghl: ['AppointmentDelete'],
  },
  'calendar.event.completed': {
    neuronxType: 'neuronx.appointment.completed',
    record: 'AppointmentCompleted',
  },
  'workflow.triggered': { neuronxType: 'neuronx.workflow.started', record: 'WorkflowStarted' },
  'workflow.step.completed': {
    neuronxType: 'neuronx.workflow.step_completed',
    record: 'WorkflowStepCompleted',
  },
  'workflow.completed': { neuronxType: 'neuronx.workflow.completed', record: 'WorkflowCompleted' },
  'workflow.failed': { neuronxType: 'neuronx.workflow.failed', record: 'WorkflowFailed' },
} as const satisfies Readonly<Record<string, MappingRow>>;

/** The dotted internal event type a received type normalises to: `contact.created` … */
export type CanonicalType = keyof typeof ROWS;
export const CANONICAL_TYPES = Object.freeze(Object.keys(ROWS)) as readonly CanonicalType[];

export interface EventMapping {
  readonly canonicalType: CanonicalType;
  /** NeuronX type: the envelope `type` and the CloudEvents ce_type. */
  readonly neuronxType: string;
  readonly domain: Domain;
  /** The payload record of schemas/<domain>.avsc (namespace com.neuronx.events). */
  readonly record: PayloadRecordName;
  /** See MappingRow.dateAddedIsOccurrence. */
  readonly dateAddedIsOccurrence: boolean;
}

const rows = (): Array<[CanonicalType, MappingRow]> =>
  Object.entries(ROWS) as Array<[CanonicalType, MappingRow]>;

export const EVENT_MAPPINGS: Readonly<Record<CanonicalType, EventMapping>> = Object.freeze(
  Object.fromEntries(
    rows().map(([canonicalType, row]) => [
      canonicalType,
      Object.freeze({
        canonicalType,
        neuronxType: row.neuronxType,
        domain: PAYLOAD_RECORD_DOMAINS[row.record],
        record: row.record,
        dateAddedIsOccurrence: row.dateAddedIsOccurrence ?? false,
      }),
    ]),
  ) as Record<CanonicalType, EventMapping>,
);

/** Real GHL `type` names → the canonical type they are an alias of (the rows' `ghl`). */
export const GHL_ALIASES: Readonly<Record<string, CanonicalType>> = Object.freeze(
  Object.fromEntries(
    rows().flatMap(([canonicalType, row]) =>
      (row.ghl ?? []).map((alias) => [alias, canonicalType]),
    ),
  ),
);

/** GHL types whose entity fields are nested under `appointment` instead of the top level. */
export const GHL_NESTED_ENTITY: Readonly<Record<string, string>> = Object.freeze({
  AppointmentCreate: 'appointment',
  AppointmentUpdate: 'appointment',
  AppointmentDelete: 'appointment',
});

// One lookup for both spellings, built once: the hot path does a single Map.get per record.
const BY_NAME = new Map<string, EventMapping>();
for (const mapping of Object.values(EVENT_MAPPINGS)) BY_NAME.set(mapping.canonicalType, mapping);
for (const [alias, canonicalType] of Object.entries(GHL_ALIASES))
  BY_NAME.set(alias, EVENT_MAPPINGS[canonicalType]);

/** The mapping of a received event type (canonical dotted name or GHL alias); undefined if unmapped. */
export const mappingFor = (receivedType: string): EventMapping | undefined =>
  BY_NAME.get(receivedType);
