// `ghl-pipeline schemas register|check` against the real registry, under fresh subjects.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';
import { cli, cliEnv, cliJson } from '../../helpers/cli.js';
import { stackEnv, uniquePrefix } from '../../helpers/integration.js';

interface CheckRow {
  domain: string;
  subject: string;
  status: 'compatible' | 'incompatible' | 'new';
  latestVersion: number | null;
  messages: string[];
}

/** A copy of schemas/ with contact.avsc given one more field. */
function schemasWithExtraContactField(field: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-schemas-'));
  cpSync(join(projectRoot(), 'schemas'), dir, { recursive: true });
  const file = join(dir, 'contact.avsc');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { fields: unknown[] };
  schema.fields.push(field);
  writeFileSync(file, JSON.stringify(schema, null, 2));
  return dir;
}

describe('ghl-pipeline schemas', () => {
  const prefix = uniquePrefix('clischemas');
  const env = cliEnv(prefix);
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('check before anything is registered: every subject "would be created", exit 0', async () => {
    const result = await cli(['schemas', 'check'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/would be created/g)).toHaveLength(5);
    const json = await cliJson<{ subjects: CheckRow[] }>(['schemas', 'check'], env);
    expect(json.subjects.map((s) => s.status)).toEqual(Array(5).fill('new'));
  });

  it('register prints the five subjects with their ids (idempotent), as the registry has them', async () => {
    const first = await cliJson<{ subjects: { subject: string; id: number }[] }>(
      ['schemas', 'register'],
      env,
    );
    expect(first.subjects.map((s) => s.subject)).toEqual(
      ['contact', 'opportunity', 'conversation', 'appointment', 'workflow'].map(
        (d) => `${prefix}neuronx.${d}-value`,
      ),
    );
    const again = await cliJson<{ subjects: { subject: string; id: number }[] }>(
      ['schemas', 'register'],
      env,
    );
    expect(again.subjects).toEqual(first.subjects);
    for (const { subject, id } of first.subjects) {
      const res = await fetch(
        `${stackEnv().registryUrl}/subjects/${encodeURIComponent(subject)}/versions/latest`,
      );
      expect(((await res.json()) as { id: number }).id).toBe(id);
    }
    const human = await cli(['schemas', 'register'], env);
    expect(human.stdout).toMatch(/subject\s+schema id/);
  });

  it('check: the repo schemas are compatible; a compatible change (field with default) too', async () => {
    const json = await cliJson<{ compatible: boolean; subjects: CheckRow[] }>(
      ['schemas', 'check'],
      env,
    );
    expect(json.compatible).toBe(true);
    expect(json.subjects.map((s) => s.status)).toEqual(Array(5).fill('compatible'));
    const dir = schemasWithExtraContactField({
      name: 'segment',
      type: ['null', 'string'],
      default: null,
    });
    dirs.push(dir);
    expect((await cli(['schemas', 'check', '--dir', dir], env)).code).toBe(0);
  });

  it('check: a new field without a default is not BACKWARD compatible -> exit 1, named clearly, nothing registered', async () => {
    const dir = schemasWithExtraContactField({ name: 'segment', type: 'string' });
    dirs.push(dir);
    const result = await cli(['schemas', 'check', '--dir', dir], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/neuronx\.contact-value\s+1\s+BACKWARD\s+INCOMPATIBLE/);
    expect(result.stdout).toContain('contact.avsc is not BACKWARD compatible');
    expect(result.stdout.match(/ COMPATIBLE/g)).toHaveLength(4);

    const json = await cli(['--json', 'schemas', 'check', '--dir', dir], env);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { compatible: boolean; subjects: CheckRow[] };
    expect(parsed.compatible).toBe(false);
    expect(parsed.subjects.filter((s) => s.status === 'incompatible').map((s) => s.domain)).toEqual(
      ['contact'],
    );

    // register refuses it with one line; the subject still has a single version
    const register = await cli(['schemas', 'register', '--dir', dir], env);
    expect(register.code).toBe(1);
    expect(register.stderr).toMatch(/^error: .*not BACKWARD compatible.*neuronx\.contact-value/);
    expect(register.stderr).not.toMatch(/\n\s+at /);
    const versions = await fetch(
      `${stackEnv().registryUrl}/subjects/${encodeURIComponent(`${prefix}neuronx.contact-value`)}/versions`,
    );
    expect(await versions.json()).toEqual([1]);
  });

  it('a schemas dir without the files, or an unreachable registry, fails with exit 1 and one line', async () => {
    const missing = await cli(['schemas', 'check', '--dir', join(tmpdir(), 'no-such-dir')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*contact\.avsc/);
    const down = await cli(['schemas', 'check'], {
      ...env,
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9/apis/ccompat/v7',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: schema registry unreachable at http:\/\/127\.0\.0\.1:9/);
  });
});
