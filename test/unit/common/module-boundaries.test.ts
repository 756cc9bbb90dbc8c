// The services share code only through services/common: no service (nor infra/dev, which starts
// them) imports another service's source, so each record format has one home. The console runs
// the CLI's operations through services/common/src/ops, like the CLI.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';

const root = projectRoot();
const SERVICES = ['ingress', 'transformer', 'cli'] as const;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

/** The services/<name> folders a file's relative imports reach into. */
function servicesImportedBy(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = relative(root, resolve(dirname(file), match[1]!)).split('/');
    if (target[0] === 'services' && target[1] !== undefined) out.push(target[1]);
  }
  return out;
}

describe('module boundaries', () => {
  it.each([...SERVICES, 'console'])(
    'services/%s imports only itself and services/common',
    (service) => {
      for (const file of sources(join(root, 'services', service, 'src'))) {
        const foreign = servicesImportedBy(file).filter((s) => s !== service && s !== 'common');
        expect(foreign, relative(root, file)).toEqual([]);
      }
    },
  );

  it('services/common imports no service', () => {
    for (const file of sources(join(root, 'services', 'common', 'src'))) {
      const foreign = servicesImportedBy(file).filter((s) => s !== 'common');
      expect(foreign, relative(root, file)).toEqual([]);
    }
  });

  it('infra/dev starts the services without importing their sources', () => {
    for (const file of sources(join(root, 'infra', 'dev'))) {
      const foreign = servicesImportedBy(file).filter((s) => s !== 'common');
      expect(foreign, relative(root, file)).toEqual([]);
    }
  });

  it.each([...SERVICES, 'common'])(
    'services/%s has no import cycle (type-only imports count)',
    (service) => {
      expect(importCycleIn(join(root, 'services', service, 'src'))).toEqual([]);
    },
  );

  it('the cycle check finds a cycle', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(firstCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
    expect(firstCycle(new Map([['a', ['b']]]))).toEqual([]);
  });
});

/** The source files of `dir` and the files of `dir` each one imports (`import type` too). */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(dir)) {
    const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)]
      .map((m) => resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'))
      .filter((target) => target.startsWith(dir) && existsSync(target));
    graph.set(
      relative(root, file),
      targets.map((t) => relative(root, t)),
    );
  }
  return graph;
}

const importCycleIn = (dir: string): string[] => firstCycle(importGraph(dir));

/** The first cycle a depth-first walk meets, as a path that ends where it starts; [] if none. */
function firstCycle(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): string[] => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    if (done.has(node)) return [];
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle.length > 0) return cycle;
    }
    path.pop();
    done.add(node);
    return [];
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle.length > 0) return cycle;
  }
  return [];
}
