// The neuronx.tenants record format and its one rule, shared by `tenants set|delete|list` and the
// transformer's TenantStore.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../services/common/src/logger.js';
import {
  encodeTenantValue,
  parseTenantValue,
  TenantMap,
} from '../../../services/common/src/tenants-record.js';
import { TenantStore } from '../../../services/transformer/src/tenant-store.js';

const file = (content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.json');
  writeFileSync(path, content);
  return path;
};

describe('tenants record format', () => {
  it('reads what `tenants set` writes, a bare string, a tombstone, and nothing else', () => {
    expect(parseTenantValue(Buffer.from(encodeTenantValue('tenant_a')))).toEqual({
      kind: 'tenant',
      tenantId: 'tenant_a',
    });
    expect(parseTenantValue(' tenant_b ')).toEqual({ kind: 'tenant', tenantId: 'tenant_b' });
    expect(parseTenantValue(null)).toEqual({ kind: 'tombstone' });
    for (const bad of ['{"tenantId":42}', '{"tenantId":""}', '{broken', '  ', ''])
      expect(parseTenantValue(bad), bad).toEqual({ kind: 'unreadable' });
    expect(parseTenantValue(Buffer.from([0xff]))).toEqual({ kind: 'unreadable' });
  });
});

describe('TenantMap: one rule for the transformer and `tenants list`', () => {
  // The sequence that made them disagree: an unreadable value after a good one, and a
  // tombstone for a location TENANT_MAP_FILE also maps.
  const records: [string, string | null][] = [
    ['loc_1', encodeTenantValue('tenant_t1')],
    ['loc_1', '{"tenantId":42}'],
    ['loc_2', encodeTenantValue('tenant_t2')],
    ['loc_2', null],
    ['loc_3', '{broken'],
    ['loc_4', null],
  ];
  const fileMap = file('{"loc_2":"tenant_f2","loc_3":"tenant_f3","loc_4":"tenant_f4"}');

  it('an unreadable value keeps the previous tenant; a tombstone falls back to TENANT_MAP_FILE', () => {
    const map = new TenantMap();
    map.loadFile(fileMap);
    expect(records.map(([k, v]) => map.apply(k, v))).toEqual([
      'tenant',
      'unreadable',
      'tenant',
      'tombstone',
      'unreadable',
      'tombstone',
    ]);
    expect(map.entries()).toEqual([
      { locationId: 'loc_1', tenantId: 'tenant_t1', source: 'topic' },
      { locationId: 'loc_2', tenantId: 'tenant_f2', source: 'file' },
      { locationId: 'loc_3', tenantId: 'tenant_f3', source: 'file' },
      { locationId: 'loc_4', tenantId: 'tenant_f4', source: 'file' },
    ]);
    expect(map.size).toBe(4);
  });

  it('the transformer resolves every location exactly as the map does', () => {
    const map = new TenantMap();
    map.loadFile(fileMap);
    const store = new TenantStore(createLogger('test', 'silent'));
    store.loadFile(fileMap);
    for (const [k, v] of records) {
      map.apply(k, v);
      store.apply(k, v === null ? null : Buffer.from(v));
    }
    for (const location of ['loc_1', 'loc_2', 'loc_3', 'loc_4', 'loc_5'])
      expect(store.tenantOf(location), location).toBe(map.tenantOf(location));
    expect(store.size).toBe(map.size);
  });

  it('without a file, a tombstone leaves the location unmapped', () => {
    const map = new TenantMap();
    map.apply('loc_1', encodeTenantValue('t'));
    map.apply('loc_1', null);
    expect(map.tenantOf('loc_1')).toBeUndefined();
    expect(map.entries()).toEqual([]);
  });
});
