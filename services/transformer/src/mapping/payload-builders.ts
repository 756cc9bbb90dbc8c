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
import { TransformerError } from '../../../common/src/errors.js';
import { keyOf } from '../../../common/src/topics.js';
import type { EventMapping } from './event-mapping.js';
import {
  EVENTS_NAMESPACE,
  type FieldChange,
  type PayloadRecordName,
  type PayloadRecords,
} from '../avro/generated/neuronx-events.js';
import { setOwn, type InputFormat, type JsonObject } from './normalise.js';
import { parseTimestamp } from './timestamps.js';

/** A payload that cannot be built: TRF_ERR_INVALID_PAYLOAD (→ DLQ invalid_payload). */
export class PayloadError extends TransformerError {
  constructor(message: string) {
    super('TRF_ERR_INVALID_PAYLOAD', message);
    this.name = 'PayloadError';
  }
}

/**
 * A field both formats carry under different names: each format's own spelling comes first, so
 * that a GHL payload that also holds a field named like a seed alias (a custom `value`, say)
 * keeps its real value in the typed field and the other one in `attributes`.
 */
export interface Spellings {
  readonly seed: readonly string[];
  readonly ghl: readonly string[];
}
type Keys = string | readonly string[] | Spellings;

/** Reads typed fields from `data` and remembers which keys it consumed. */
export class PayloadReader {
  /** Keys a typed field took; every other key of `data` becomes an attribute. */
  private readonly used: string[] = [];

  constructor(
    private readonly data: Readonly<JsonObject>,
    private readonly record: PayloadRecordName,
    /** Which spelling of a `Spellings` field comes first. */
    private readonly format: InputFormat = 'seed',
  ) {}

  /** The names to try, in order, for this reader's format. */
  private names(keys: Keys): string | readonly string[] {
    return typeof keys === 'string' || Array.isArray(keys)
      ? keys
      : (keys as Spellings)[this.format];
  }

  /** The first of `keys` holding a value (not undefined/null). */
  private pick(spelled: Keys): [string, unknown] | undefined {
    const keys = this.names(spelled);
    if (typeof keys === 'string') {
      const v = this.data[keys];
      return v === undefined || v === null ? undefined : [keys, v];
    }
    for (const key of keys) {
      const v = this.data[key];
      if (v !== undefined && v !== null) return [key, v];
    }
    return undefined;
  }

  /** A required identifier or text: non-blank string or finite number, else PayloadError. */
  required(keys: Keys): string {
    const found = this.pick(keys);
    const spelled = this.names(keys);
    const names = typeof spelled === 'string' ? spelled : spelled.join(' or ');
    if (!found) throw new PayloadError(`${this.record}: missing required field ${names}`);
    const [key, v] = found;
    if (typeof v === 'string' && v.trim() !== '') return this.take(key, v);
    if (typeof v === 'number' && Number.isFinite(v)) return this.take(key, String(v));
    throw new PayloadError(
      `${this.record}: field ${key} must be a non-empty string, got ${typeof v === 'string' ? 'an empty string' : Array.isArray(v) ? 'array' : typeof v}`,
    );
  }

  /** An optional scalar as a string; objects/arrays stay in attributes (→ null). */
  str(keys: Keys): string | null {
    const found = this.pick(keys);
    if (!found) return this.nullOf(keys);
    const [key, v] = found;
    if (typeof v === 'string') return this.take(key, v);
    if (typeof v === 'number' || typeof v === 'boolean') return this.take(key, String(v));
    return null;
  }

  /** An optional free-text value: strings as-is, anything else JSON-encoded. */
  text(keys: Keys): string | null {
    const found = this.pick(keys);
    if (!found) return this.nullOf(keys);
    return this.take(found[0], encodeValue(found[1]));
  }

  /** An optional number: numbers and numeric strings; anything else stays in attributes. */
  num(keys: Keys): number | null {
    const found = this.pick(keys);
    if (!found) return this.nullOf(keys);
    const [key, v] = found;
    // JSON.parse turns 1e400 into Infinity: not a usable amount.
    if (typeof v === 'number') return Number.isFinite(v) ? this.take(key, v) : null;
    if (typeof v === 'string' && v.trim() !== '') {
      const n = Number(v);
      if (Number.isFinite(n)) return this.take(key, n);
    }
    return null;
  }

  /** An optional timestamp as epoch millis (see parseTimestamp). */
  time(keys: Keys): number | null {
    const found = this.pick(keys);
    if (!found) return this.nullOf(keys);
    const ms = parseTimestamp(found[1]);
    return ms === undefined ? null : this.take(found[0], ms);
  }

  /** A list of strings; non-string entries JSON-encoded; a non-array stays in attributes. */
  strList(key: string): string[] | null {
    const v = this.data[key];
    if (v === undefined || v === null) return this.nullOf(key);
    if (!Array.isArray(v)) return null;
    const out = new Array<string>(v.length);
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      out[i] = typeof item === 'string' ? item : JSON.stringify(item);
    }
    return this.take(key, out);
  }

  /**
   * The seed's `changes[]`: entries are field names or {field, oldValue, newValue}. When any
   * entry is neither, or an object carries more than those three keys, the raw list also stays
   * in attributes (typed as far as possible only when every entry fits).
   */
  changes(key = 'changes'): FieldChange[] {
    const v = this.data[key];
    if (v === undefined || v === null) {
      this.nullOf(key);
      return [];
    }
    if (!Array.isArray(v)) return [];
    const out: FieldChange[] = [];
    let exact = true;
    for (const item of v as unknown[]) {
      if (typeof item === 'string') {
        out.push({ field: item, oldValue: null, newValue: null });
        continue;
      }
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return [];
      const entry = item as JsonObject;
      if (typeof entry.field !== 'string') return [];
      out.push({
        field: entry.field,
        oldValue: encodeValue(entry.oldValue),
        newValue: encodeValue(entry.newValue),
      });
      for (const k in entry)
        if (k !== 'field' && k !== 'oldValue' && k !== 'newValue') exact = false;
    }
    return exact ? this.take(key, out) : out;
  }

  /** Every field of `data` no typed field took, JSON-encoded. */
  attributes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key in this.data) {
      const v = this.data[key];
      if (v === undefined || this.used.includes(key)) continue;
      setOwn(out, key, JSON.stringify(v));
    }
    return out;
  }

  private take<T>(key: string, value: T): T {
    this.used.push(key);
    return value;
  }

  /** An explicit JSON null carries no information: consume it rather than copy "null" along. */
  private nullOf(spelled: Keys): null {
    const keys = this.names(spelled);
    if (typeof keys === 'string') {
      if (this.data[keys] === null) this.used.push(keys);
    } else for (const key of keys) if (this.data[key] === null) this.used.push(key);
    return null;
  }
}

/** Strings as-is, null/undefined as null, anything else as JSON text. */
export const encodeValue = (v: unknown): string | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);

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
