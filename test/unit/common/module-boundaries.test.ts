// The services share code only through services/common: no service (nor infra/dev, which starts
// them) imports another service's source, so each record format has one home. The one exception
// is the console, which runs the CLI's operations.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';

const root = projectRoot();
const SERVICES = ['ingress', 'transformer', 'cli'] as const;
// The console is the CLI's web face: it runs the CLI's own trace, redrive and replay code.
const ALLOWED: Readonly<Record<string, readonly string[]>> = { console: ['cli'] };

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
        const foreign = servicesImportedBy(file).filter(
          (s) => s !== service && s !== 'common' && !(ALLOWED[service] ?? []).includes(s),
        );
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
});
