// The lineage steps of a trace, one builder per kind of record (a ghl.raw record, an output, a
// DLQ record), and the lookups they need: how far the transformer has committed on ghl.raw, and
// whether a DLQ record's body names a contact.
import type { FetchedRecord } from '../kafka/records.js';
import { parseDlqHeaders } from '../dlq-record.js';
import { recordFacts } from '../raw-record.js';
import {
  OUTPUT_HEADERS,
  RAW_HEADERS,
  REPLAY_HEADERS,
  headerOf,
  recordAddress,
} from '../record-headers.js';
import type { OpsContext } from './context.js';
import { jsonSafe, textOf } from './record-view.js';
import type { DlqStep, OutputStep, RawStep } from './trace-types.js';

/** A record timestamp (epoch millis) as ISO-8601. */
const iso = (ms: string | number) => new Date(Number(ms)).toISOString();

/**
 * The step of a ghl.raw record: delivery (a redelivery once `delivered`), replay or redrive, with
 * its ingress headers and whether the transformer's `committed` offsets are past it (null when
 * unknown); with `values`, the body as text (base64 when not UTF-8).
 */
export function rawStep(
  topic: string,
  partition: number,
  m: FetchedRecord,
  delivered: boolean,
  committed: Map<number, bigint> | undefined,
  values: boolean | undefined,
): RawStep {
  const h = (name: string) => headerOf(m.headers, name) ?? null;
  const replayId = h(REPLAY_HEADERS.replayId);
  const redriveOf = h(REPLAY_HEADERS.redriveOf);
  const replayOf = h(REPLAY_HEADERS.replayOf);
  const facts = recordFacts(m);
  const done = committed?.get(partition);
  const step: RawStep = {
    // A replay of a redrive keeps redrive-of, a redrive of a replay keeps replay-id: the header
    // naming the latest source decides.
    kind: replayOf
      ? 'replay'
      : redriveOf
        ? 'redrive'
        : replayId
          ? 'replay'
          : delivered
            ? 'redelivery'
            : 'delivery',
    topic,
    partition,
    offset: m.offset,
    time: iso(m.timestamp),
    receivedAt: h(RAW_HEADERS.receivedAt),
    requestId: h(RAW_HEADERS.requestId),
    signatureScheme: h(RAW_HEADERS.signatureScheme),
    eventType: facts.eventType ?? null,
    locationId: facts.locationId ?? null,
    contentBytes: m.value?.length ?? 0,
    replayId,
    source: replayOf ?? redriveOf,
    processed: committed === undefined ? null : done !== undefined && done > BigInt(m.offset),
  };
  if (values) step.body = m.value === null ? null : (textOf(m.value) ?? m.value.toString('base64'));
  return step;
}

/**
 * The step of an output record: key, NeuronX type, and the tenant of its value decoded through the
 * registry (Confluent wire format); with `values`, the decoded value. Rejects when the registry
 * cannot decode it.
 */
export async function outputStep(
  ctx: OpsContext,
  topic: string,
  partition: number,
  m: FetchedRecord,
  values: boolean | undefined,
): Promise<OutputStep> {
  let decoded: unknown;
  let schemaId: number | null = null;
  if (m.value && m.value.length >= 5 && m.value[0] === 0) {
    schemaId = m.value.readInt32BE(1);
    decoded = jsonSafe(await ctx.registry().decode(m.value));
  }
  const tenant = (decoded as { tenantId?: unknown } | undefined)?.tenantId;
  const step: OutputStep = {
    kind: 'output',
    topic,
    partition,
    offset: m.offset,
    time: iso(m.timestamp),
    key: m.key ? (textOf(m.key) ?? m.key.toString('base64')) : null,
    neuronxType: headerOf(m.headers, OUTPUT_HEADERS.type) ?? null,
    tenantId: typeof tenant === 'string' ? tenant : null,
    schemaId,
  };
  if (values) step.decoded = decoded ?? null;
  return step;
}

/** The step of a ghl.dlq record: its dlq-* headers and address; with `values`, the body. */
export function dlqStep(
  topic: string,
  partition: number,
  m: FetchedRecord,
  values: boolean | undefined,
): DlqStep {
  const info = parseDlqHeaders(m.headers);
  const step: DlqStep = {
    kind: 'dlq',
    topic,
    partition,
    offset: m.offset,
    time: iso(m.timestamp),
    reason: info.reason,
    error: info.error,
    stage: info.stage,
    attempts: info.attempts,
    source: info.source,
    address: recordAddress(topic, partition, m.offset),
  };
  if (values) step.body = m.value === null ? null : (textOf(m.value) ?? m.value.toString('base64'));
  return step;
}

/** The transformer group's committed offsets on ghl.raw; undefined when it has none. */
export async function transformerCommitted(
  ctx: OpsContext,
  rawTopic: string,
): Promise<Map<number, bigint> | undefined> {
  const admin = await ctx.admin();
  const [fetched] = await admin.fetchOffsets({
    groupId: ctx.config.TRANSFORMER_GROUP_ID,
    topics: [rawTopic],
  });
  const out = new Map<number, bigint>();
  for (const p of fetched?.partitions ?? [])
    if (Number(p.offset) >= 0) out.set(p.partition, BigInt(p.offset));
  return out.size > 0 ? out : undefined;
}

/** Whether a body names the contact: `contactId` at the top or in `data`, or a contact event's `id`. */
export function bodyNamesContact(value: Buffer | null, contactId: string): boolean {
  if (value === null || !value.includes(contactId)) return false;
  const text = textOf(value);
  if (text === undefined) return false;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const data = (typeof body.data === 'object' && body.data !== null ? body.data : {}) as Record<
      string,
      unknown
    >;
    const type = (recordFacts({ key: null, value }).eventType ?? '').toLowerCase();
    return (
      body.contactId === contactId ||
      data.contactId === contactId ||
      (type.includes('contact') && (body.id === contactId || data.id === contactId))
    );
  } catch {
    return false;
  }
}
