// The shapes of a trace: what to trace (TraceQuery), the lineage steps it finds (a ghl.raw record,
// an output, a DLQ record), and the result with every read it made (TraceResult).

/** What to trace. Times are epoch millis; `until` is exclusive. */
export interface TraceQuery {
  eventId?: string;
  /** GHL contact id: its outputs on neuronx.contact (keyed by contact id) and their events. */
  contactId?: string;
  locationId?: string;
  types?: readonly string[];
  since?: number;
  until?: number;
  /** How long after its raw record an output or DLQ record is looked for (default 10 min). */
  outputWindowMs?: number;
  /** Include raw bodies (text) and decoded output values in the steps. */
  values?: boolean;
  /** At most this many events in the result (default 200), newest dropped first. */
  limit?: number;
}

/** One read the trace made: a topic's partitions between two offsets. */
export interface ScanReport {
  topic: string;
  why: string;
  /** Per partition: first offset read and exclusive end. */
  ranges: { partition: number; from: string; to: string }[];
  /** Records in the ranges (all of them were looked at, though not all decoded). */
  records: number;
  /** Record batch bytes fetched (key, value and header bytes when read by a consumer). */
  bytes: number;
  /** How long the read took, joining its throw-away consumer group included. */
  ms: number;
}

interface StepBase {
  topic: string;
  partition: number;
  offset: string;
  /** Record timestamp, ISO-8601 (for an output or DLQ record: when its transaction wrote it). */
  time: string;
}
/** A ghl.raw record of the event. */
export interface RawStep extends StepBase {
  kind: 'delivery' | 'redelivery' | 'replay' | 'redrive';
  receivedAt: string | null;
  requestId: string | null;
  signatureScheme: string | null;
  eventType: string | null;
  locationId: string | null;
  contentBytes: number;
  replayId: string | null;
  /** `topic/partition/offset` this record replays or redrives. */
  source: string | null;
  /** Whether the transformer's group has committed past it (null: unknown group). */
  processed: boolean | null;
  body?: string | null;
}
/** An Avro output of the event. */
export interface OutputStep extends StepBase {
  kind: 'output';
  key: string | null;
  neuronxType: string | null;
  tenantId: string | null;
  schemaId: number | null;
  decoded?: unknown;
}
/** A ghl.dlq record of the event. */
export interface DlqStep extends StepBase {
  kind: 'dlq';
  reason: string | null;
  error: string | null;
  stage: string | null;
  attempts: number | null;
  /** The ghl.raw record that failed. */
  source: string | null;
  address: string;
  body?: string | null;
}
export type LineageStep = RawStep | OutputStep | DlqStep;

export interface EventLineage {
  eventId: string;
  eventType: string | null;
  locationId: string | null;
  /** Oldest first. */
  steps: LineageStep[];
}

export interface TraceResult {
  events: EventLineage[];
  scanned: ScanReport[];
  totals: { records: number; bytes: number; ms: number };
  /** Events left out by `limit`. */
  truncated: number;
}
