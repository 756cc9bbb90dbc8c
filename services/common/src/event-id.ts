import { createHash } from 'node:crypto';

export type EventIdSource = 'eventId' | 'webhookId' | 'content-hash';

/** Longer ids are not ids: they fall through to the content hash rather than bloat every key. */
const MAX_ID_LENGTH = 256;

const usableId = (value: unknown): string | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed !== '' && trimmed.length <= MAX_ID_LENGTH ? trimmed : undefined;
};

/**
 * The event ID rule of docs/architecture.md: top-level `eventId`, else top-level `webhookId` (real
 * GHL's per-delivery dedup key), else `sha256:` + the hash of the canonical JSON without the
 * delivery-only fields, so a retry of the same event hashes the same. Never `metadata.webhookId`
 * (it names the subscription) and never the entity `id` (many events share one entity).
 */
export function deriveEventId(body: Readonly<Record<string, unknown>>): {
  eventId: string;
  source: EventIdSource;
} {
  const eventId = usableId(body.eventId);
  if (eventId) return { eventId, source: 'eventId' };
  const webhookId = usableId(body.webhookId);
  if (webhookId) return { eventId: webhookId, source: 'webhookId' };
  return { eventId: `sha256:${contentHash(body)}`, source: 'content-hash' };
}

/**
 * The event ID of a body that is not a JSON object (not JSON, not UTF-8, or an array/string…):
 * `sha256:` + the hash of its exact bytes, so a redelivery of the same bytes gets the same ID.
 */
export function bytesEventId(body: Uint8Array): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** SHA-256 hex of the canonical JSON (sorted keys) without metadata.attempt/deliveredAt. */
export function contentHash(body: Readonly<Record<string, unknown>>): string {
  return createHash('sha256')
    .update(canonicalJson(withoutDeliveryFields(body)))
    .digest('hex');
}

function withoutDeliveryFields(body: Readonly<Record<string, unknown>>): unknown {
  const metadata = body.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return body;
  const {
    attempt: _attempt,
    deliveredAt: _deliveredAt,
    ...rest
  } = metadata as Record<string, unknown>;
  return { ...body, metadata: rest };
}

/**
 * JSON with object keys sorted at every depth; arrays keep their order; undefined members are
 * left out as JSON.stringify does. Written as a plain loop: it runs on every unsigned-ID webhook
 * and the ingress profile showed the entries/filter/sort/map version as a top cost.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined || typeof item === 'function' ? 'null' : canonicalJson(item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}
