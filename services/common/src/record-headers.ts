// Kafka header names are a contract between the ingress, the transformer, the CLI and downstream
// consumers (ARCHITECTURE.md §4). Spelled once, here.

/** Headers the ingress puts on every ghl.raw record. */
export const RAW_HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  locationId: 'location-id',
  /** Only on agency-level events that name no location (e.g. a Company-level INSTALL). */
  companyId: 'company-id',
  receivedAt: 'received-at',
  requestId: 'request-id',
  signatureScheme: 'signature-scheme',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const;

/** Added by `ghl-pipeline replay` and `dlq redrive` when they republish to ghl.raw. */
export const REPLAY_HEADERS = {
  /** Makes the transformer re-emit despite dedup: the dedup key becomes replay-id + event ID. */
  replayId: 'replay-id',
  /** `topic/partition/offset` of the record that was replayed. */
  replayOf: 'replay-of',
  /** `topic/partition/offset` of the DLQ record that was redriven. */
  redriveOf: 'redrive-of',
} as const;

/** Added to the original headers of a record written to ghl.dlq. */
export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  source: 'dlq-source',
  failedAt: 'dlq-failed-at',
  attempts: 'dlq-attempts',
  stage: 'dlq-stage',
  /** Only when the DLQ could not take the whole record: the original value's size in bytes. */
  truncated: 'dlq-truncated',
} as const;

/** CloudEvents binary-mode headers (Kafka protocol binding) on every output record. */
export const OUTPUT_HEADERS = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const;

/** `topic/partition/offset`, the record address used by dlq-source, replay-of and redrive-of. */
export const recordAddress = (topic: string, partition: number, offset: string | number) =>
  `${topic}/${partition}/${offset}`;
