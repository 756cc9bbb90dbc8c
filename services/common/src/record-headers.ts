// Kafka header names are a contract between the ingress, the transformer, the CLI and downstream
// consumers (docs/architecture.md). Spelled once, here.

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

// Header decoding, one rule for every reader: kafkajs gives each value as a Buffer (or a string
// when the record was built in-process); text is its UTF-8 decoding, and a header repeated in a
// record has several values, of which the first counts wherever one value is expected.

/** One header value as kafkajs hands it over. */
type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
/**
 * A record's headers (Kafka record format v2, KIP-82): header name → value. A value read from the
 * broker is a Buffer (an array when the name repeats); a value to produce may be a string, which
 * the client encodes as UTF-8; `undefined` entries are skipped when producing. The shape of
 * kafkajs' `IHeaders`, spelled here so this module needs no kafkajs import.
 */
export type RecordHeaders = { [name: string]: HeaderValue };

const headerText = (v: Buffer | string | undefined): string =>
  v === undefined ? '' : typeof v === 'string' ? v : v.toString('utf8');

/** The first value of a header, as stored (no copy); undefined when absent. */
export function rawHeader(
  headers: RecordHeaders | undefined,
  name: string,
): Buffer | string | undefined {
  const v = headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The first value of a header as text; undefined when absent. */
export function headerOf(headers: RecordHeaders | undefined, name: string): string | undefined {
  const v = rawHeader(headers, name);
  return v === undefined ? undefined : headerText(v);
}

/** Every header as text, first value when repeated: what the services read. */
export function headerStrings(headers: RecordHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const name in headers) {
    const first = rawHeader(headers, name);
    if (first !== undefined) out[name] = headerText(first);
  }
  return out;
}

/** Every header as text, a repeated one as the list of its values: what the CLI shows. */
export function headerValues(
  headers: RecordHeaders | undefined,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[name] = Array.isArray(v) ? v.map(headerText) : headerText(v);
  }
  return out;
}
