// The pure per-record transformation: ghl.raw record → emit / dlq / skip decision
// (transform-types.ts is the contract with the exactly-once loop). Synchronous, no I/O, and it
// never throws because of what a record contains: every bad input becomes a DLQ (or skip)
// decision with a reason code, so one bad record never stops a partition. Messages name fields
// and types but never values, which may be personal data.
import { dlqReasonOf, type DlqErrorCode } from '../../../common/src/errors.js';
import { deriveEventId } from '../../../common/src/event-id.js';
import { decodeBody } from '../../../common/src/raw-record.js';
import type { DomainEventValues } from '../avro/generated/neuronx-events.js';
import { eventIdOf, isJsonObject, kindOf, normalise, type NormaliseResult } from './normalise.js';
import { buildPayload, PayloadError, type BuiltPayload } from './payload-builders.js';
import type { Decision, DlqStage, RawRecord, TransformContext } from './transform-types.js';

/** A DLQ decision for `code`; its reason is the code's DLQ reason in errors.ts. */
const dlq = (
  eventId: string | undefined,
  code: DlqErrorCode,
  stage: DlqStage,
  message: string,
): Decision => ({ kind: 'dlq', eventId, reason: dlqReasonOf(code), stage, message });

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function transform(raw: RawRecord, ctx: TransformContext): Decision {
  if (raw.value === null)
    return dlq(eventIdOf(raw), 'TRF_ERR_INVALID_JSON', 'parse', 'record value is null');

  // The ghl.raw body rule (services/common/src/raw-record.ts): UTF-8, a BOM skipped, JSON.
  const decoded = decodeBody(raw.value);
  if (!decoded.ok) return dlq(eventIdOf(raw), 'TRF_ERR_INVALID_JSON', 'parse', decoded.message);
  const body = decoded.value;
  if (!isJsonObject(body))
    return dlq(
      eventIdOf(raw),
      'TRF_ERR_INVALID_ENVELOPE',
      'normalise',
      `value is a JSON ${kindOf(body)}, not an object`,
    );

  let normalised: NormaliseResult;
  try {
    normalised = normalise(body, raw);
  } catch (err) {
    // Not expected for any input; a bug must still not block the partition.
    const eventId = eventIdOf(raw) ?? deriveEventId(body).eventId;
    return dlq(
      eventId,
      'TRF_ERR_INVALID_ENVELOPE',
      'normalise',
      `cannot normalise: ${errorText(err)}`,
    );
  }
  if (!normalised.ok)
    return dlq(normalised.eventId, 'TRF_ERR_INVALID_ENVELOPE', 'normalise', normalised.message);
  const event = normalised.event;
  const { mapping, eventId } = event;

  if (!mapping) {
    const message = `unmapped event type "${event.sourceEventType}"`;
    return ctx.unmappedEventPolicy === 'skip'
      ? {
          kind: 'skip',
          eventId,
          reason: dlqReasonOf('TRF_ERR_UNMAPPED_EVENT_TYPE'),
          message,
        }
      : dlq(eventId, 'TRF_ERR_UNMAPPED_EVENT_TYPE', 'map', message);
  }

  // normalise() gives every mapped event a location; this keeps the types honest.
  const locationId = event.locationId;
  if (locationId === null)
    return dlq(eventId, 'TRF_ERR_INVALID_ENVELOPE', 'normalise', 'no locationId');

  // Outside any try: a failing tenant store is the loop's (transient) problem, not the record's.
  const tenantId = ctx.tenantOf(locationId);
  if (tenantId === undefined && ctx.unknownTenantPolicy === 'dlq')
    return dlq(eventId, 'TRF_ERR_UNKNOWN_TENANT', 'tenant', 'locationId has no tenant mapping');

  let built: BuiltPayload;
  try {
    built = buildPayload(mapping, event.data, event.format);
  } catch (err) {
    const message =
      err instanceof PayloadError ? err.message : `cannot build payload: ${errorText(err)}`;
    return dlq(eventId, 'TRF_ERR_INVALID_PAYLOAD', 'payload', message);
  }
  const attributes = built.attributes;
  if (event.unparsedTimestamp !== undefined && !Object.hasOwn(attributes, 'timestamp'))
    attributes.timestamp = JSON.stringify(event.unparsedTimestamp);

  const value = {
    eventId,
    type: mapping.neuronxType,
    sourceEventType: event.sourceEventType,
    tenantId: tenantId ?? null,
    locationId,
    companyId: event.companyId,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    payload: built.wrapped,
    attributes,
  } as DomainEventValues[typeof mapping.domain];
  return {
    kind: 'emit',
    eventId,
    domain: mapping.domain,
    key: built.key,
    type: mapping.neuronxType,
    occurredAt: event.occurredAt,
    value: value as unknown as Record<string, unknown>,
  };
}
