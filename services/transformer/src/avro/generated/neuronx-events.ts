// GENERATED from schemas/*.avsc by tools/schema-types-generator.ts
// (`npm run schemas:types`). Do not edit: a unit test fails when this file and the schemas drift.

export const EVENTS_NAMESPACE = 'com.neuronx.events';

/** contact.created / ContactCreate. */
export interface ContactIngested {
  /** GHL contact id (the Kafka key). */
  contactId: string;
  /** Email address. */
  email: string | null;
  /** Phone number as sent. */
  phone: string | null;
  /** First name. */
  firstName: string | null;
  /** Last name. */
  lastName: string | null;
  /** Tags on the contact. */
  tags: string[];
}

/** One changed field. GHL may list only the field name, then oldValue/newValue are null. */
export interface FieldChange {
  /** Name of the changed field, as GHL spells it. */
  field: string;
  /** Previous value; strings as-is, anything else JSON-encoded. */
  oldValue: string | null;
  /** New value; strings as-is, anything else JSON-encoded. */
  newValue: string | null;
}

/** contact.updated / ContactUpdate / ContactTagUpdate. */
export interface ContactUpdated {
  /** GHL contact id (the Kafka key). */
  contactId: string;
  /** Changed fields (seed `changes[]`). */
  changes: FieldChange[];
  /** Email address when sent. */
  email: string | null;
  /** Phone number when sent. */
  phone: string | null;
  /** First name when sent. */
  firstName: string | null;
  /** Last name when sent. */
  lastName: string | null;
  /** Full tag list when sent (ContactTagUpdate carries the whole list, not a delta); null when absent. */
  tags: string[] | null;
}

/** contact.deleted / ContactDelete. */
export interface ContactDeleted {
  /** GHL contact id (the Kafka key). */
  contactId: string;
}

/** contact.tag.added. */
export interface ContactTagged {
  /** GHL contact id (the Kafka key). */
  contactId: string;
  /** The tag applied. */
  tag: string;
}

/** contact.tag.removed. */
export interface ContactUntagged {
  /** GHL contact id (the Kafka key). */
  contactId: string;
  /** The tag removed. */
  tag: string;
}

/** Value of topic neuronx.contact (subject neuronx.contact-value). Kafka key: contact id. Contract: schemas/README.md. */
export interface ContactEvent {
  /** Pipeline event ID: the raw record event-id header (eventId, webhookId or sha256 content hash). Unique per GHL event; use it to deduplicate. */
  eventId: string;
  /** NeuronX event type, e.g. neuronx.contact.ingested. Also the CloudEvents ce_type header. */
  type: string;
  /** The event type exactly as received: seed dotted name (contact.created) or GHL type (ContactCreate). */
  sourceEventType: string;
  /** NeuronX tenant of the GHL location; null when the location is not mapped. */
  tenantId: string | null;
  /** GHL location (sub-account) id. */
  locationId: string;
  /** GHL company (agency) id when the webhook carries one. */
  companyId: string | null;
  /** When the change happened (webhook timestamp; dateAdded for creations; else receivedAt). */
  occurredAt: number;
  /** When the ingress received the webhook. */
  receivedAt: number;
  /** Typed payload: exactly one record per event type (wrapped union in JSON form). */
  payload:
    | { 'com.neuronx.events.ContactIngested': ContactIngested }
    | { 'com.neuronx.events.ContactUpdated': ContactUpdated }
    | { 'com.neuronx.events.ContactDeleted': ContactDeleted }
    | { 'com.neuronx.events.ContactTagged': ContactTagged }
    | { 'com.neuronx.events.ContactUntagged': ContactUntagged };
  /** Every input payload field not captured by a typed field, value JSON-encoded, so nothing is lost. */
  attributes: Record<string, string>;
}

/** opportunity.created / OpportunityCreate. */
export interface OpportunityCreated {
  /** GHL opportunity id (the Kafka key). */
  opportunityId: string;
  /** Contact the opportunity belongs to. */
  contactId: string | null;
  /** Pipeline id. */
  pipelineId: string | null;
  /** Current stage id. */
  pipelineStageId: string | null;
  /** Opportunity name. */
  name: string | null;
  /** Status (open, won, lost, abandoned). */
  status: string | null;
  /** Monetary value (seed value, GHL monetaryValue). */
  value: number | null;
  /** Currency code when sent. */
  currency: string | null;
}

/** opportunity.updated / OpportunityUpdate / OpportunityStatusUpdate / OpportunityMonetaryValueUpdate / OpportunityAssignedToUpdate. */
export interface OpportunityUpdated {
  /** GHL opportunity id (the Kafka key). */
  opportunityId: string;
  /** Changed fields (seed `changes[]`). */
  changes: FieldChange[];
  /** Previous value (seed); strings as-is, anything else JSON-encoded. */
  oldValue: string | null;
  /** New value (seed); strings as-is, anything else JSON-encoded. */
  newValue: string | null;
  /** Contact id when sent. */
  contactId: string | null;
  /** Pipeline id when sent. */
  pipelineId: string | null;
  /** Stage id when sent. */
  pipelineStageId: string | null;
  /** Status when sent. */
  status: string | null;
  /** Monetary value when sent (seed value, GHL monetaryValue). */
  value: number | null;
}

/** opportunity.deleted / OpportunityDelete. */
export interface OpportunityDeleted {
  /** GHL opportunity id (the Kafka key). */
  opportunityId: string;
  /** Contact id when sent. */
  contactId: string | null;
}

/** opportunity.stage_changed / OpportunityStageUpdate (GHL sends no old stage). */
export interface OpportunityStageChanged {
  /** GHL opportunity id (the Kafka key). */
  opportunityId: string;
  /** Contact id. */
  contactId: string | null;
  /** Pipeline id. */
  pipelineId: string | null;
  /** Previous stage id (seed only). */
  oldStageId: string | null;
  /** New stage id (seed newStageId, GHL pipelineStageId). */
  newStageId: string | null;
  /** Previous stage name (seed oldStageName). */
  oldStage: string | null;
  /** New stage name (seed newStageName). */
  newStage: string | null;
  /** Status when sent. */
  status: string | null;
  /** Monetary value (seed value, GHL monetaryValue). */
  value: number | null;
  /** Currency code when sent. */
  currency: string | null;
}

/** Value of topic neuronx.opportunity (subject neuronx.opportunity-value). Kafka key: opportunity id. Contract: schemas/README.md. */
export interface OpportunityEvent {
  /** Pipeline event ID: the raw record event-id header (eventId, webhookId or sha256 content hash). Unique per GHL event; use it to deduplicate. */
  eventId: string;
  /** NeuronX event type, e.g. neuronx.contact.ingested. Also the CloudEvents ce_type header. */
  type: string;
  /** The event type exactly as received: seed dotted name (contact.created) or GHL type (ContactCreate). */
  sourceEventType: string;
  /** NeuronX tenant of the GHL location; null when the location is not mapped. */
  tenantId: string | null;
  /** GHL location (sub-account) id. */
  locationId: string;
  /** GHL company (agency) id when the webhook carries one. */
  companyId: string | null;
  /** When the change happened (webhook timestamp; dateAdded for creations; else receivedAt). */
  occurredAt: number;
  /** When the ingress received the webhook. */
  receivedAt: number;
  /** Typed payload: exactly one record per event type (wrapped union in JSON form). */
  payload:
    | { 'com.neuronx.events.OpportunityCreated': OpportunityCreated }
    | { 'com.neuronx.events.OpportunityUpdated': OpportunityUpdated }
    | { 'com.neuronx.events.OpportunityDeleted': OpportunityDeleted }
    | { 'com.neuronx.events.OpportunityStageChanged': OpportunityStageChanged };
  /** Every input payload field not captured by a typed field, value JSON-encoded, so nothing is lost. */
  attributes: Record<string, string>;
}

/** conversation.created. */
export interface ConversationStarted {
  /** GHL conversation id (the Kafka key). */
  conversationId: string;
  /** Contact id. */
  contactId: string | null;
  /** Channel (seed type). */
  channel: string | null;
}

/** conversation.message.sent / OutboundMessage. */
export interface MessageSent {
  /** GHL conversation id (the Kafka key). */
  conversationId: string;
  /** Message id (GHL does not always send one). */
  messageId: string | null;
  /** Contact id. */
  contactId: string | null;
  /** Channel: seed type (sms, email…) or GHL messageType (SMS, Email, Call…), as sent. */
  channel: string | null;
  /** inbound or outbound, as sent. */
  direction: string | null;
  /** Message text (seed message, GHL body). */
  body: string | null;
  /** Attachment URLs; non-string entries JSON-encoded. */
  attachments: string[];
}

/** conversation.message.received / InboundMessage. */
export interface MessageReceived {
  /** GHL conversation id (the Kafka key). */
  conversationId: string;
  /** Message id (GHL does not always send one). */
  messageId: string | null;
  /** Contact id. */
  contactId: string | null;
  /** Channel: seed type (sms, email…) or GHL messageType (SMS, Email, Call…), as sent. */
  channel: string | null;
  /** inbound or outbound, as sent. */
  direction: string | null;
  /** Message text (seed message, GHL body). */
  body: string | null;
  /** Attachment URLs; non-string entries JSON-encoded. */
  attachments: string[];
}

/** conversation.status_changed. */
export interface ConversationStatusChanged {
  /** GHL conversation id (the Kafka key). */
  conversationId: string;
  /** Previous status. */
  oldStatus: string | null;
  /** New status. */
  newStatus: string | null;
}

/** Value of topic neuronx.conversation (subject neuronx.conversation-value). Kafka key: conversation id. Contract: schemas/README.md. */
export interface ConversationEvent {
  /** Pipeline event ID: the raw record event-id header (eventId, webhookId or sha256 content hash). Unique per GHL event; use it to deduplicate. */
  eventId: string;
  /** NeuronX event type, e.g. neuronx.contact.ingested. Also the CloudEvents ce_type header. */
  type: string;
  /** The event type exactly as received: seed dotted name (contact.created) or GHL type (ContactCreate). */
  sourceEventType: string;
  /** NeuronX tenant of the GHL location; null when the location is not mapped. */
  tenantId: string | null;
  /** GHL location (sub-account) id. */
  locationId: string;
  /** GHL company (agency) id when the webhook carries one. */
  companyId: string | null;
  /** When the change happened (webhook timestamp; dateAdded for creations; else receivedAt). */
  occurredAt: number;
  /** When the ingress received the webhook. */
  receivedAt: number;
  /** Typed payload: exactly one record per event type (wrapped union in JSON form). */
  payload:
    | { 'com.neuronx.events.ConversationStarted': ConversationStarted }
    | { 'com.neuronx.events.MessageSent': MessageSent }
    | { 'com.neuronx.events.MessageReceived': MessageReceived }
    | { 'com.neuronx.events.ConversationStatusChanged': ConversationStatusChanged };
  /** Every input payload field not captured by a typed field, value JSON-encoded, so nothing is lost. */
  attributes: Record<string, string>;
}

/** calendar.event.created / AppointmentCreate. */
export interface AppointmentBooked {
  /** GHL appointment (calendar event) id (the Kafka key). */
  appointmentId: string;
  /** Contact id. */
  contactId: string | null;
  /** Calendar id. */
  calendarId: string | null;
  /** Title when sent. */
  title: string | null;
  /** Start time. */
  startTime: number | null;
  /** End time. */
  endTime: number | null;
  /** Status (seed status, GHL appointmentStatus). */
  status: string | null;
}

/** calendar.event.updated / AppointmentUpdate. */
export interface AppointmentUpdated {
  /** GHL appointment (calendar event) id (the Kafka key). */
  appointmentId: string;
  /** Changed fields (seed `changes[]`). */
  changes: FieldChange[];
  /** Contact id. */
  contactId: string | null;
  /** Calendar id. */
  calendarId: string | null;
  /** Title when sent. */
  title: string | null;
  /** Start time when sent. */
  startTime: number | null;
  /** End time when sent. */
  endTime: number | null;
  /** Status when sent (seed status, GHL appointmentStatus). */
  status: string | null;
}

/** calendar.event.cancelled / AppointmentDelete. */
export interface AppointmentCancelled {
  /** GHL appointment (calendar event) id (the Kafka key). */
  appointmentId: string;
  /** Contact id. */
  contactId: string | null;
  /** Calendar id. */
  calendarId: string | null;
  /** Cancellation reason. */
  reason: string | null;
  /** Status when sent (GHL appointmentStatus). */
  status: string | null;
}

/** calendar.event.completed. */
export interface AppointmentCompleted {
  /** GHL appointment (calendar event) id (the Kafka key). */
  appointmentId: string;
  /** Contact id. */
  contactId: string | null;
  /** Calendar id. */
  calendarId: string | null;
  /** Duration as sent (seed duration). */
  duration: number | null;
}

/** Value of topic neuronx.appointment (subject neuronx.appointment-value). Kafka key: appointment id. Contract: schemas/README.md. */
export interface AppointmentEvent {
  /** Pipeline event ID: the raw record event-id header (eventId, webhookId or sha256 content hash). Unique per GHL event; use it to deduplicate. */
  eventId: string;
  /** NeuronX event type, e.g. neuronx.contact.ingested. Also the CloudEvents ce_type header. */
  type: string;
  /** The event type exactly as received: seed dotted name (contact.created) or GHL type (ContactCreate). */
  sourceEventType: string;
  /** NeuronX tenant of the GHL location; null when the location is not mapped. */
  tenantId: string | null;
  /** GHL location (sub-account) id. */
  locationId: string;
  /** GHL company (agency) id when the webhook carries one. */
  companyId: string | null;
  /** When the change happened (webhook timestamp; dateAdded for creations; else receivedAt). */
  occurredAt: number;
  /** When the ingress received the webhook. */
  receivedAt: number;
  /** Typed payload: exactly one record per event type (wrapped union in JSON form). */
  payload:
    | { 'com.neuronx.events.AppointmentBooked': AppointmentBooked }
    | { 'com.neuronx.events.AppointmentUpdated': AppointmentUpdated }
    | { 'com.neuronx.events.AppointmentCancelled': AppointmentCancelled }
    | { 'com.neuronx.events.AppointmentCompleted': AppointmentCompleted };
  /** Every input payload field not captured by a typed field, value JSON-encoded, so nothing is lost. */
  attributes: Record<string, string>;
}

/** workflow.triggered. */
export interface WorkflowStarted {
  /** GHL workflow id (key part 1). */
  workflowId: string;
  /** Contact the workflow runs for (key part 2). */
  contactId: string;
  /** What triggered the workflow. */
  trigger: string | null;
}

/** workflow.step.completed. */
export interface WorkflowStepCompleted {
  /** GHL workflow id (key part 1). */
  workflowId: string;
  /** The completed step. */
  stepId: string;
  /** Contact the workflow runs for (key part 2). */
  contactId: string;
}

/** workflow.completed. */
export interface WorkflowCompleted {
  /** GHL workflow id (key part 1). */
  workflowId: string;
  /** Contact the workflow runs for (key part 2). */
  contactId: string;
  /** Outcome. */
  outcome: string | null;
}

/** workflow.failed. */
export interface WorkflowFailed {
  /** GHL workflow id (key part 1). */
  workflowId: string;
  /** Contact the workflow runs for (key part 2). */
  contactId: string;
  /** Error text. */
  error: string | null;
}

/** Value of topic neuronx.workflow (subject neuronx.workflow-value). Kafka key: `workflowId:contactId`. Contract: schemas/README.md. */
export interface WorkflowEvent {
  /** Pipeline event ID: the raw record event-id header (eventId, webhookId or sha256 content hash). Unique per GHL event; use it to deduplicate. */
  eventId: string;
  /** NeuronX event type, e.g. neuronx.contact.ingested. Also the CloudEvents ce_type header. */
  type: string;
  /** The event type exactly as received: seed dotted name (contact.created) or GHL type (ContactCreate). */
  sourceEventType: string;
  /** NeuronX tenant of the GHL location; null when the location is not mapped. */
  tenantId: string | null;
  /** GHL location (sub-account) id. */
  locationId: string;
  /** GHL company (agency) id when the webhook carries one. */
  companyId: string | null;
  /** When the change happened (webhook timestamp; dateAdded for creations; else receivedAt). */
  occurredAt: number;
  /** When the ingress received the webhook. */
  receivedAt: number;
  /** Typed payload: exactly one record per event type (wrapped union in JSON form). */
  payload:
    | { 'com.neuronx.events.WorkflowStarted': WorkflowStarted }
    | { 'com.neuronx.events.WorkflowStepCompleted': WorkflowStepCompleted }
    | { 'com.neuronx.events.WorkflowCompleted': WorkflowCompleted }
    | { 'com.neuronx.events.WorkflowFailed': WorkflowFailed };
  /** Every input payload field not captured by a typed field, value JSON-encoded, so nothing is lost. */
  attributes: Record<string, string>;
}

/** The Avro value type of each domain topic neuronx.<domain>. */
export interface DomainEventValues {
  contact: ContactEvent;
  opportunity: OpportunityEvent;
  conversation: ConversationEvent;
  appointment: AppointmentEvent;
  workflow: WorkflowEvent;
}

/** Every payload record (a branch of some `payload` union) by short name. */
export interface PayloadRecords {
  ContactIngested: ContactIngested;
  ContactUpdated: ContactUpdated;
  ContactDeleted: ContactDeleted;
  ContactTagged: ContactTagged;
  ContactUntagged: ContactUntagged;
  OpportunityCreated: OpportunityCreated;
  OpportunityUpdated: OpportunityUpdated;
  OpportunityDeleted: OpportunityDeleted;
  OpportunityStageChanged: OpportunityStageChanged;
  ConversationStarted: ConversationStarted;
  MessageSent: MessageSent;
  MessageReceived: MessageReceived;
  ConversationStatusChanged: ConversationStatusChanged;
  AppointmentBooked: AppointmentBooked;
  AppointmentUpdated: AppointmentUpdated;
  AppointmentCancelled: AppointmentCancelled;
  AppointmentCompleted: AppointmentCompleted;
  WorkflowStarted: WorkflowStarted;
  WorkflowStepCompleted: WorkflowStepCompleted;
  WorkflowCompleted: WorkflowCompleted;
  WorkflowFailed: WorkflowFailed;
}
export type PayloadRecordName = keyof PayloadRecords;

/** The domain (schema) each payload record belongs to. */
export const PAYLOAD_RECORD_DOMAINS = {
  ContactIngested: 'contact',
  ContactUpdated: 'contact',
  ContactDeleted: 'contact',
  ContactTagged: 'contact',
  ContactUntagged: 'contact',
  OpportunityCreated: 'opportunity',
  OpportunityUpdated: 'opportunity',
  OpportunityDeleted: 'opportunity',
  OpportunityStageChanged: 'opportunity',
  ConversationStarted: 'conversation',
  MessageSent: 'conversation',
  MessageReceived: 'conversation',
  ConversationStatusChanged: 'conversation',
  AppointmentBooked: 'appointment',
  AppointmentUpdated: 'appointment',
  AppointmentCancelled: 'appointment',
  AppointmentCompleted: 'appointment',
  WorkflowStarted: 'workflow',
  WorkflowStepCompleted: 'workflow',
  WorkflowCompleted: 'workflow',
  WorkflowFailed: 'workflow',
} as const;
