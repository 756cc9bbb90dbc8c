import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../services/common/src/logger.js';
import { TenantStore } from '../../../services/transformer/src/tenant-store.js';

const store = () => new TenantStore(createLogger('test', 'silent'));
const file = (content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.json');
  writeFileSync(path, content);
  return path;
};

describe('TenantStore', () => {
  it('reads the map file and lets the tenants topic override and delete', () => {
    const s = store();
    s.loadFile(file('{"loc_1": "tenant_a", "loc_2": "tenant_b"}'));
    s.apply('loc_2', Buffer.from('{"tenantId":"tenant_c"}'));
    s.apply('loc_3', Buffer.from('tenant_d'));
    expect([
      s.tenantOf('loc_1'),
      s.tenantOf('loc_2'),
      s.tenantOf('loc_3'),
      s.tenantOf('loc_4'),
    ]).toEqual(['tenant_a', 'tenant_c', 'tenant_d', undefined]);
    s.apply('loc_2', null); // tombstone: the file's entry shows again
    expect(s.tenantOf('loc_2')).toBe('tenant_b');
  });

  it('ignores unreadable topic records', () => {
    const s = store();
    s.apply('loc_1', Buffer.from('{"tenantId": 42}'));
    s.apply('loc_2', Buffer.from('{broken'));
    s.apply('loc_3', Buffer.from('  '));
    expect(s.size).toBe(0);
  });

  it('refuses a map file that is not an object of strings', () => {
    expect(() => store().loadFile(file('["loc_1"]'))).toThrow(/JSON object/);
    expect(() => store().loadFile(file('{"loc_1": 7}'))).toThrow(/not a string/);
  });
});
