// The header schemas of docs/asyncapi.yaml (components/schemas RawHeaders, DlqHeaders,
// OutputHeaders): a description per header name of services/common/src/record-headers.ts.
import type { DlqStage } from '../../services/common/src/dlq-record.js';
import { DLQ_REASONS } from '../../services/common/src/errors.js';
import {
  DLQ_HEADERS,
  OUTPUT_HEADERS,
  RAW_HEADERS,
  REPLAY_HEADERS,
} from '../../services/common/src/record-headers.js';
import { SIGNATURE_SCHEMES } from '../../services/ingress/src/signature.js';
import type { JsonObject } from './asyncapi-json.js';

/** A header value schema: Kafka header values are bytes, the pipeline writes UTF-8 text. */
const text = (description: string, extra: JsonObject = {}): JsonObject => ({
  type: 'string',
  description,
  ...extra,
});

// Descriptions are keyed by the constants' own keys, so a header added to record-headers.ts does
// not typecheck here until it is documented.
const RAW_HEADER_DOCS: Record<keyof typeof RAW_HEADERS, JsonObject> = {
  eventId: text(
    'The pipeline event ID: the body `eventId`, else GHL `webhookId`, else `sha256:` + a hash of the body without its delivery fields. Also the record key.',
  ),
  eventType: text(
    'The event type exactly as received: the seed `event` (`contact.created`) or the GHL `type` (`ContactCreate`). Absent when the body names none.',
  ),
  locationId: text(
    'The GHL location (sub-account): the body `locationId`, or the `id` of an agency-level `LocationCreate`/`LocationUpdate`. Absent when the body names none.',
  ),
  companyId: text(
    'The GHL company (agency), only on agency-level events that name no location (e.g. a Company-level `INSTALL`).',
  ),
  receivedAt: text('When the ingress received the webhook, ISO 8601 in UTC.', {
    format: 'date-time',
  }),
  requestId: text('The ingress request id of the delivery.'),
  signatureScheme: text('The signature that authenticated the delivery.', {
    enum: [...SIGNATURE_SCHEMES],
  }),
  contentType: text('The Content-Type of the webhook request, as received.'),
  traceparent: text('W3C trace context of the webhook request; only when it carried a valid one.', {
    pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
  }),
};

const REPLAY_HEADER_DOCS: Record<keyof typeof REPLAY_HEADERS, JsonObject> = {
  replayId: text(
    'Set by `ghl-pipeline replay`: the transformer deduplicates the record under replay-id + event ID, so each replay re-emits once.',
  ),
  replayOf: text('Set by `ghl-pipeline replay`: `topic/partition/offset` of the replayed record.'),
  redriveOf: text(
    'Set by `ghl-pipeline dlq redrive`: `topic/partition/offset` of the redriven DLQ record.',
  ),
};

/** The dlq-stage values; a Record so a new stage does not typecheck until it is listed. */
const DLQ_STAGE_DOCS: Record<DlqStage, true> = {
  parse: true,
  normalise: true,
  map: true,
  tenant: true,
  payload: true,
  encode: true,
  produce: true,
};

const DLQ_HEADER_DOCS: Record<keyof typeof DLQ_HEADERS, JsonObject> = {
  reason: text('Why the record failed permanently.', { enum: [...DLQ_REASONS] }),
  error: text(
    'What went wrong, for humans triaging (names fields and types, never values); at most 1000 characters.',
  ),
  source: text('`topic/partition/offset` of the ghl.raw record that failed.'),
  failedAt: text('When the transformer gave up on the record, ISO 8601 in UTC.', {
    format: 'date-time',
  }),
  attempts: text('How many times processing the record was tried (decimal).', {
    pattern: '^[0-9]+$',
  }),
  stage: text('Where in the transformation the failure happened.', {
    enum: Object.keys(DLQ_STAGE_DOCS),
  }),
  truncated: text(
    'Only when the DLQ topic could not take the whole record: the original value size in bytes. The value is then a prefix of the original and only the identifying raw headers are kept; dlq-source names the ghl.raw record that holds every byte until its retention ends.',
    { pattern: '^[0-9]+$' },
  ),
};

const OUTPUT_HEADER_DOCS: Record<keyof typeof OUTPUT_HEADERS, JsonObject> = {
  specversion: text('CloudEvents spec version.', { const: '1.0' }),
  id: text('The event ID (the value `eventId`): unique per GHL event, use it to deduplicate.'),
  source: text('`/ghl/locations/<locationId>`.', { pattern: '^/ghl/locations/.+$' }),
  type: text('The NeuronX event type (the value `type`).'),
  time: text('When the change happened (the value `occurredAt`), ISO 8601 in UTC.', {
    format: 'date-time',
  }),
  contentType: text('The value encoding.', { const: 'application/avro' }),
  traceparent: text(
    'W3C trace context of the webhook request; only when the ghl.raw record carried one.',
    { pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' },
  ),
};

/** An object schema of headers named by a constants object, in the constants' order. */
function headerProperties<K extends string>(
  names: Readonly<Record<K, string>>,
  docs: Readonly<Record<K, JsonObject>>,
): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(names) as K[]) out[names[key]] = docs[key];
  return out;
}

const RAW_REQUIRED = [
  RAW_HEADERS.eventId,
  RAW_HEADERS.receivedAt,
  RAW_HEADERS.requestId,
  RAW_HEADERS.signatureScheme,
  RAW_HEADERS.contentType,
];

/** The components/schemas entries of the header objects, keyed by schema name. */
export function headerSchemas(): JsonObject {
  const raw = {
    ...headerProperties(RAW_HEADERS, RAW_HEADER_DOCS),
    ...headerProperties(REPLAY_HEADERS, REPLAY_HEADER_DOCS),
  };
  const dlq = headerProperties(DLQ_HEADERS, DLQ_HEADER_DOCS);
  const output = headerProperties(OUTPUT_HEADERS, OUTPUT_HEADER_DOCS);
  return {
    RawHeaders: {
      type: 'object',
      description:
        'Headers of a ghl.raw record, written by the ingress; `ghl-pipeline replay` and `dlq redrive` republish a record with its original headers plus theirs.',
      required: RAW_REQUIRED,
      properties: raw,
    },
    DlqHeaders: {
      type: 'object',
      description:
        'Headers of a ghl.dlq record: the original ghl.raw headers plus the dlq-* ones (`dlq redrive` strips the dlq-* headers again).',
      required: Object.values(DLQ_HEADERS).filter((h) => h !== DLQ_HEADERS.truncated),
      properties: { ...raw, ...dlq },
    },
    OutputHeaders: {
      type: 'object',
      description:
        'CloudEvents binary-mode headers (Kafka protocol binding) of every NeuronX event.',
      required: Object.values(OUTPUT_HEADERS).filter((h) => h !== OUTPUT_HEADERS.traceparent),
      properties: output,
    },
  };
}
