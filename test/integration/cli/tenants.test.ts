// `ghl-pipeline tenants set|delete|list` on the compacted tenants topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, cliJson, jsonLines } from '../../helpers/cli.js';
import { freshTopics, type FreshTopics } from '../../helpers/integration.js';

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

  it('usage mistakes exit 2', async () => {
    expect((await cli(['tenants', 'set', 'loc_only'], env)).code).toBe(2);
    expect((await cli(['tenants', 'set', ' ', 'x'], env)).code).toBe(2);
  });
});
