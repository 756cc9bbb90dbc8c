// The error codes of services/common/src/errors.ts against docs/errors.md, both ways (the check
// Fastify keeps in test/internals/errors.test.js): a code nobody can look up, or a documented code
// that no longer exists, fails here. The tables' flags are checked against the docs' columns too.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DLQ_REASONS,
  ERROR_TABLES,
  TRANSFORMER_ERRORS,
  dlqReasonOf,
  type DlqErrorCode,
} from '../../../services/common/src/errors.js';
import { projectRoot } from '../../../services/common/src/project-root.js';

const root = projectRoot();
const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Each documented row: its code and its other cells, by the table's header names. */
function documentedRows(): Map<string, Record<string, string>> {
  const rows = new Map<string, Record<string, string>>();
  let header: string[] | undefined;
  for (const line of docs.split('\n')) {
    if (!line.startsWith('|')) {
      header = undefined;
      continue;
    }
    const cells = line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
    if (!header) {
      header = cells;
      continue;
    }
    if (cells.every((c) => /^-+$/.test(c))) continue;
    const code = /^`([A-Za-z_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (!code || header[0] !== 'code') continue;
    expect(rows.has(code), `${code} is documented twice`).toBe(false);
    rows.set(code, Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
  }
  return rows;
}

const documented = documentedRows();
const defined = new Map<string, Record<string, unknown>>(
  Object.values(ERROR_TABLES).flatMap((table) =>
    Object.entries(table as Record<string, Record<string, unknown>>),
  ),
);

describe('error codes', () => {
  it('are unique across the tables', () => {
    const all = Object.values(ERROR_TABLES).flatMap((table) => Object.keys(table));
    expect(new Set(all).size).toBe(all.length);
  });

  it('the README points to their documentation', () => {
    expect(readme.includes('(docs/errors.md)')).toBe(true);
  });

  it.each([...defined.keys()])('%s is documented in docs/errors.md', (code) => {
    expect(documented.has(code)).toBe(true);
  });

  it.each([...documented.keys()])('documented %s exists in errors.ts', (code) => {
    expect(defined.has(code)).toBe(true);
  });

  it.each([...defined.entries()])('%s: the documented flags are its entry', (code, spec) => {
    const row = documented.get(code);
    if (!row) return; // reported above
    if ('statusCode' in spec) expect(row.status).toBe(String(spec.statusCode));
    if ('exitCode' in spec) expect(row['exit code']).toBe(String(spec.exitCode));
    if ('retriable' in spec) {
      expect(row.retriable).toBe(spec.retriable ? 'yes' : 'no');
      expect(row['DLQ reason']).toBe(
        typeof spec.dlqReason === 'string' ? `\`${spec.dlqReason}\`` : '—',
      );
    }
  });

  it('every DLQ reason is the reason of exactly one transformer code', () => {
    const reasons = Object.values(TRANSFORMER_ERRORS).flatMap((spec) =>
      'dlqReason' in spec ? [spec.dlqReason] : [],
    );
    expect([...reasons].sort()).toEqual([...DLQ_REASONS].sort());
    const code: DlqErrorCode = 'TRF_ERR_OUTPUT_TOO_LARGE';
    expect(dlqReasonOf(code)).toBe('output_too_large');
  });

  it('every code is emitted somewhere in services/*/src', () => {
    const sources = sourceFiles(join(root, 'services'))
      .filter((f) => !f.endsWith(join('common', 'src', 'errors.ts')))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = [...defined.keys()].filter((code) => !new RegExp(`\\b${code}\\b`).test(sources));
    expect(unused).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'generated') return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}
