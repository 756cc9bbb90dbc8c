// `ghl-pipeline tenants set|delete|list` on the compacted tenants topic.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../services/common/src/logger.js';
import { TenantStore } from '../../../services/transformer/src/tenant-store.js';
import { cli, cliEnv, cliJson, jsonLines } from '../../helpers/cli.js';
import { freshTopics, testKafka, type FreshTopics } from '../../helpers/integration.js';

describe('ghl-pipeline tenants', () => {
  let fresh: FreshTopics;
  let env: Record<string, string>;
  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 2, label: 'clitenants' });
    env = cliEnv(fresh.prefix);
  });
  afterAll(async () => fresh?.cleanup());

  it('set, overwrite, delete and list: the last value per location wins, tombstones remove', async () => {
    expect(await cliJson(['tenants', 'list'], env)).toEqual({});
    expect((await cli(['tenants', 'set', 'loc_a', 'tenant-1'], env)).code).toBe(0);
    expect((await cli(['tenants', 'set', 'loc_b', 'tenant-2'], env)).code).toBe(0);
    expect((await cli(['tenants', 'set', 'loc_c', 'tenant-3'], env)).code).toBe(0);
    expect((await cli(['tenants', 'set', 'loc_a', 'tenant-9'], env)).code).toBe(0);
    const deleted = await cli(['tenants', 'delete', 'loc_b'], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('loc_b');

    expect(await cliJson(['tenants', 'list'], env)).toEqual({
      loc_a: 'tenant-9',
      loc_c: 'tenant-3',
    });
    const human = await cli(['tenants', 'list'], env);
    expect(human.stdout).toMatch(/loc_a\s+tenant-9/);

    // What the transformer reads: JSON values and a tombstone (tail prints it as null).
    const tail = await cli(['--json', 'tail', 'neuronx.tenants'], env);
    const records = jsonLines<{ key: string; value: string | null; valueFormat: string }>(
      tail.stdout,
    );
    expect(records).toHaveLength(5);
    expect(records.filter((r) => r.key === 'loc_a').map((r) => r.value)).toEqual([
      '{"tenantId":"tenant-1"}',
      '{"tenantId":"tenant-9"}',
    ]);
    expect(records.find((r) => r.key === 'loc_b' && r.value === null)?.valueFormat).toBe('null');
  });

  it('agrees with the transformer: an unreadable value keeps the tenant, a deleted location falls back to TENANT_MAP_FILE', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.json');
    writeFileSync(file, JSON.stringify({ loc_f: 'tenant-file', loc_x: 'tenant-file-x' }));
    const withFile = { ...env, TENANT_MAP_FILE: file };
    expect((await cli(['tenants', 'set', 'loc_u', 'tenant-u'], env)).code).toBe(0);
    expect((await cli(['tenants', 'set', 'loc_f', 'tenant-topic'], env)).code).toBe(0);
    const producer = testKafka('tenants-it').producer({ idempotent: true });
    await producer.connect();
    try {
      await producer.send({
        topic: fresh.names.tenants,
        acks: -1,
        messages: [{ key: 'loc_u', value: '{"tenantId":42}' }],
      });
    } finally {
      await producer.disconnect();
    }
    const deleted = await cliJson<Record<string, unknown>>(
      ['tenants', 'delete', 'loc_f'],
      withFile,
    );
    expect(deleted).toMatchObject({
      locationId: 'loc_f',
      tenantId: null,
      fileTenantId: 'tenant-file',
    });

    const listed = await cli(['--json', 'tenants', 'list'], withFile);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain('1 unreadable record(s) ignored');
    const map = JSON.parse(listed.stdout) as Record<string, string>;
    expect(map).toMatchObject({
      loc_u: 'tenant-u',
      loc_f: 'tenant-file',
      loc_x: 'tenant-file-x',
    });

    // The transformer, following the same topic with the same file, resolves the same way.
    const store = new TenantStore(createLogger('test', 'silent'));
    store.loadFile(file);
    await store.follow(
      testKafka('tenants-it-store'),
      fresh.names.tenants,
      `${fresh.prefix}t`,
      30_000,
    );
    try {
      for (const [location, tenant] of Object.entries(map))
        expect(store.tenantOf(location), location).toBe(tenant);
      expect(store.size).toBe(Object.keys(map).length);
    } finally {
      await store.stop();
    }
  });

  it('usage mistakes exit 2', async () => {
    expect((await cli(['tenants', 'set', 'loc_only'], env)).code).toBe(2);
    expect((await cli(['tenants', 'set', ' ', 'x'], env)).code).toBe(2);
  });
});
