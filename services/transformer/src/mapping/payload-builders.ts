// Typed payloads from a normalised event's `data`, one builder per payload record of
// schemas/*.avsc, plus the `attributes` map of every field no typed field took.
//
// Coercion policy (documented in schemas/README.md):
// - Required fields (the key ids, a tag, a workflow step) must be a non-blank string or a finite
//   number (→ its decimal string); anything else is invalid_payload, because there is no key.
// - Fields the formats spell differently (money, status, channel, message text, new stage) try the
//   input format's own name first: GHL's names win in a GHL payload, the seed's in a seed one.
// - Optional identifier/text fields take strings as-is and numbers/booleans as their string form
//   (GHL sometimes sends numeric ids or phone numbers); an object or array there cannot be typed,
//   so the field stays null and the raw value stays in `attributes`: lossless, and one odd
//   optional field does not cost downstream the whole event.
// - Free-text fields that may carry structure (oldValue/newValue, trigger, outcome, error,
//   reason) take strings as-is and JSON-encode anything else.
// - Numbers (value, duration) take numbers and numeric strings; timestamps take ISO strings and
//   epoch numbers; otherwise null + the raw value in `attributes`.
// - String lists (tags, attachments) keep strings and JSON-encode other entries.
import { keyOf } from '../../../common/src/topics.js';
import type { EventMapping } from './event-mapping.js';
import {
  EVENTS_NAMESPACE,
  type PayloadRecordName,
  type PayloadRecords,
} from '../avro/generated/neuronx-events.js';
import type { InputFormat, JsonObject } from './normalise.js';
import { PayloadReader, type Spellings } from './payload-reader.js';

export { encodeValue, PayloadError, PayloadReader, type Spellings } from './payload-reader.js';

// Field spellings, as constants so the hot path allocates no key arrays. Where the formats name
// a field differently, each format tries its own name first and the other's as a fallback.
const CONTACT_ID = ['id', 'contactId'] as const;
const OPPORTUNITY_ID = ['id', 'opportunityId'] as const;
const CONVERSATION_ID = ['id', 'conversationId'] as const;
const APPOINTMENT_ID = ['id', 'appointmentId'] as const;
const spellings = (seed: readonly string[], ghl: readonly string[]): Spellings =>
  Object.freeze({ seed, ghl });
/** Seed `value`, GHL `monetaryValue`. */
const MONEY = spellings(['value', 'monetaryValue'], ['monetaryValue', 'value']);
/** Seed `status`, GHL `appointmentStatus`. */
const APPOINTMENT_STATUS = spellings(
  ['status', 'appointmentStatus'],
  ['appointmentStatus', 'status'],
);
/** Seed `type` (`sms`), GHL `messageType` (`SMS`); `channel` as a last resort in both. */
const CHANNEL = spellings(['type', 'messageType', 'channel'], ['messageType', 'type', 'channel']);
/** Seed `message`, GHL `body`. */
const BODY = spellings(['message', 'body'], ['body', 'message']);
/** Seed `newStageId`; GHL sends the new stage as `pipelineStageId`. */
const NEW_STAGE_ID = spellings(
  ['newStageId', 'pipelineStageId'],
  ['pipelineStageId', 'newStageId'],
);
/** Seed `oldStageName`/`newStageName`; GHL sends no stage names. */
const OLD_STAGE = ['oldStageName', 'oldStage'] as const;
const NEW_STAGE = ['newStageName', 'newStage'] as const;

type Builders = { [R in PayloadRecordName]: (r: PayloadReader) => PayloadRecords[R] };

const message = (r: PayloadReader) => ({
  conversationId: r.required('conversationId'),
  messageId: r.str('messageId'),
  contactId: r.str('contactId'),
  channel: r.str(CHANNEL),
  direction: r.str('direction'),
  body: r.str(BODY),
  attachments: r.strList('attachments') ?? [],
});

/** One builder per payload record; every record of the schemas has one (checked by the types). */
export const PAYLOAD_BUILDERS: Builders = {
  ContactIngested: (r) => ({
    contactId: r.required(CONTACT_ID),
    email: r.str('email'),
    phone: r.str('phone'),
    firstName: r.str('firstName'),
    lastName: r.str('lastName'),
    tags: r.strList('tags') ?? [],
  }),
  ContactUpdated: (r) => ({
    contactId: r.required(CONTACT_ID),
    changes: r.changes(),
    email: r.str('email'),
    phone: r.str('phone'),
    firstName: r.str('firstName'),
    lastName: r.str('lastName'),
    tags: r.strList('tags'),
  }),
  ContactDeleted: (r) => ({ contactId: r.required(CONTACT_ID) }),
  ContactTagged: (r) => ({ contactId: r.required(CONTACT_ID), tag: r.required('tag') }),
  ContactUntagged: (r) => ({ contactId: r.required(CONTACT_ID), tag: r.required('tag') }),
  OpportunityCreated: (r) => ({
    opportunityId: r.required(OPPORTUNITY_ID),
    contactId: r.str('contactId'),
    pipelineId: r.str('pipelineId'),
    pipelineStageId: r.str('pipelineStageId'),
    name: r.str('name'),
    status: r.str('status'),
    value: r.num(MONEY),
    currency: r.str('currency'),
  }),
  OpportunityUpdated: (r) => ({
    opportunityId: r.required(OPPORTUNITY_ID),
    changes: r.changes(),
    oldValue: r.text('oldValue'),
    newValue: r.text('newValue'),
    contactId: r.str('contactId'),
    pipelineId: r.str('pipelineId'),
    pipelineStageId: r.str('pipelineStageId'),
    status: r.str('status'),
    value: r.num(MONEY),
  }),
  OpportunityDeleted: (r) => ({
    opportunityId: r.required(OPPORTUNITY_ID),
    contactId: r.str('contactId'),
  }),
  OpportunityStageChanged: (r) => ({
    opportunityId: r.required(OPPORTUNITY_ID),
    contactId: r.str('contactId'),
    pipelineId: r.str('pipelineId'),
    oldStageId: r.str('oldStageId'),
    newStageId: r.str(NEW_STAGE_ID),
    oldStage: r.str(OLD_STAGE),
    newStage: r.str(NEW_STAGE),
    status: r.str('status'),
    value: r.num(MONEY),
    currency: r.str('currency'),
  }),
  ConversationStarted: (r) => ({
    conversationId: r.required(CONVERSATION_ID),
    contactId: r.str('contactId'),
    channel: r.str(CHANNEL),
  }),
  MessageSent: message,
  MessageReceived: message,
  ConversationStatusChanged: (r) => ({
    conversationId: r.required(CONVERSATION_ID),
    oldStatus: r.str('oldStatus'),
    newStatus: r.str('newStatus'),
  }),
  AppointmentBooked: (r) => ({
    appointmentId: r.required(APPOINTMENT_ID),
    contactId: r.str('contactId'),
    calendarId: r.str('calendarId'),
    title: r.str('title'),
    startTime: r.time('startTime'),
    endTime: r.time('endTime'),
    status: r.str(APPOINTMENT_STATUS),
  }),
  AppointmentUpdated: (r) => ({
    appointmentId: r.required(APPOINTMENT_ID),
    changes: r.changes(),
    contactId: r.str('contactId'),
    calendarId: r.str('calendarId'),
    title: r.str('title'),
    startTime: r.time('startTime'),
    endTime: r.time('endTime'),
    status: r.str(APPOINTMENT_STATUS),
  }),
  AppointmentCancelled: (r) => ({
    appointmentId: r.required(APPOINTMENT_ID),
    contactId: r.str('contactId'),
    calendarId: r.str('calendarId'),
    reason: r.text('reason'),
    status: r.str(APPOINTMENT_STATUS),
  }),
  AppointmentCompleted: (r) => ({
    appointmentId: r.required(APPOINTMENT_ID),
    contactId: r.str('contactId'),
    calendarId: r.str('calendarId'),
    duration: r.num('duration'),
  }),
  WorkflowStarted: (r) => ({
    workflowId: r.required('workflowId'),
    contactId: r.required('contactId'),
    trigger: r.text('trigger'),
  }),
  WorkflowStepCompleted: (r) => ({
    workflowId: r.required('workflowId'),
    stepId: r.required('stepId'),
    contactId: r.required('contactId'),
  }),
  WorkflowCompleted: (r) => ({
    workflowId: r.required('workflowId'),
    contactId: r.required('contactId'),
    outcome: r.text('outcome'),
  }),
  WorkflowFailed: (r) => ({
    workflowId: r.required('workflowId'),
    contactId: r.required('contactId'),
    error: r.text('error'),
  }),
};

const FULL_NAMES = Object.fromEntries(
  Object.keys(PAYLOAD_BUILDERS).map((r) => [r, `${EVENTS_NAMESPACE}.${r}`]),
) as Record<PayloadRecordName, string>;

export interface BuiltPayload {
  /** The typed payload record. */
  record: PayloadRecords[PayloadRecordName];
  /** The union value as avsc encodes it: `{ 'com.neuronx.events.<Record>': record }`. */
  wrapped: Record<string, PayloadRecords[PayloadRecordName]>;
  /** The Kafka key (entity id; workflow: `workflowId:contactId`). */
  key: string;
  attributes: Record<string, string>;
}

/**
 * Builds the payload of a mapped event from its `data`, reading alternative field names in the
 * order of the input `format`; throws PayloadError when it cannot.
 */
export function buildPayload(
  mapping: EventMapping,
  data: Readonly<JsonObject>,
  format: InputFormat = 'seed',
): BuiltPayload {
  const reader = new PayloadReader(data, mapping.record, format);
  const record = PAYLOAD_BUILDERS[mapping.record](reader);
  return {
    record,
    wrapped: { [FULL_NAMES[mapping.record]]: record },
    key: keyOf(mapping.domain, record as unknown as Readonly<Record<string, unknown>>),
    attributes: reader.attributes(),
  };
}
