// The neuronx.tenants record format and the rule that turns it into a locationId → tenantId map.
// `ghl-pipeline tenants set|delete` writes records, the transformer follows the topic, and
// `ghl-pipeline tenants list` shows the map: all three apply records by this one rule.
//
// The rule (documented in the root README, "Tenants"):
// - key = GHL locationId; value = {"tenantId":"…"} (a bare non-blank string is read too);
// - the latest readable record of a location sets its tenant;
// - a tombstone (null value, `tenants delete`) removes the topic's tenant of the location; the
//   location then has its TENANT_MAP_FILE tenant if the file has one, else none;
// - a record whose value is unreadable is ignored: the location keeps the tenant it had;
// - TENANT_MAP_FILE is the base map; the topic's tenants win over it.
import { readFileSync } from 'node:fs';

/** The value `tenants set` writes: `{"tenantId":"…"}`. */
export const encodeTenantValue = (tenantId: string): string => JSON.stringify({ tenantId });

/** One tenants-topic value, as read. */
export type TenantValue =
  { kind: 'tenant'; tenantId: string } | { kind: 'tombstone' } | { kind: 'unreadable' };

/**
 * Reads a tenants-topic value: `null` is a tombstone; `{"tenantId":"…"}` with a non-empty string,
 * or a bare non-blank string, is a tenant; anything else (other JSON, an empty tenantId, bytes
 * that are not UTF-8) is unreadable.
 */
export function parseTenantValue(value: Uint8Array | string | null): TenantValue {
  if (value === null) return { kind: 'tombstone' };
  let text: string;
  try {
    text = typeof value === 'string' ? value : utf8.decode(value);
  } catch {
    return { kind: 'unreadable' };
  }
  const trimmed = text.trim();
  if (!trimmed.startsWith('{'))
    return trimmed === '' ? { kind: 'unreadable' } : { kind: 'tenant', tenantId: trimmed };
  try {
    const parsed = JSON.parse(trimmed) as { tenantId?: unknown };
    return typeof parsed.tenantId === 'string' && parsed.tenantId !== ''
      ? { kind: 'tenant', tenantId: parsed.tenantId }
      : { kind: 'unreadable' };
  } catch {
    return { kind: 'unreadable' };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads TENANT_MAP_FILE: a JSON object `{"<locationId>": "<tenantId>", …}`. Throws an Error
 * naming the file when it is not one (a start-up error, not something to run without).
 */
export function readTenantMapFile(path: string): Map<string, string> {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`TENANT_MAP_FILE ${path} must hold a JSON object {"locationId": "tenantId"}`);
  const out = new Map<string, string>();
  for (const [location, tenant] of Object.entries(parsed)) {
    if (typeof tenant !== 'string')
      throw new Error(`TENANT_MAP_FILE ${path}: tenant of ${location} is not a string`);
    out.set(location, tenant);
  }
  return out;
}

/** Where a location's tenant comes from. */
export type TenantSource = 'topic' | 'file';

/** The locationId → tenantId map, built by the rule at the top of this file. */
export class TenantMap {
  private readonly fromFile = new Map<string, string>();
  private readonly fromTopic = new Map<string, string>();

  /** Adds TENANT_MAP_FILE's entries (readTenantMapFile) to the base map. */
  loadFile(path: string): void {
    for (const [location, tenant] of readTenantMapFile(path)) this.fromFile.set(location, tenant);
  }

  /** Applies one tenants-topic record in offset order; says how it was read. */
  apply(locationId: string, value: Uint8Array | string | null): TenantValue['kind'] {
    const read = parseTenantValue(value);
    if (read.kind === 'tenant') this.fromTopic.set(locationId, read.tenantId);
    else if (read.kind === 'tombstone') this.fromTopic.delete(locationId);
    return read.kind;
  }

  /** The tenant of a location; undefined when it has none. */
  tenantOf = (locationId: string): string | undefined =>
    this.fromTopic.get(locationId) ?? this.fromFile.get(locationId);

  /** The file's tenant of a location (what a tombstone falls back to). */
  fileTenantOf = (locationId: string): string | undefined => this.fromFile.get(locationId);

  /** Locations with a tenant. */
  get size(): number {
    let n = this.fromTopic.size;
    for (const location of this.fromFile.keys()) if (!this.fromTopic.has(location)) n++;
    return n;
  }

  /** Every location with its tenant and where it comes from, sorted by location. */
  entries(): { locationId: string; tenantId: string; source: TenantSource }[] {
    const out = new Map<string, { locationId: string; tenantId: string; source: TenantSource }>();
    for (const [locationId, tenantId] of this.fromFile)
      out.set(locationId, { locationId, tenantId, source: 'file' });
    for (const [locationId, tenantId] of this.fromTopic)
      out.set(locationId, { locationId, tenantId, source: 'topic' });
    return [...out.values()].sort((a, b) => a.locationId.localeCompare(b.locationId));
  }
}
